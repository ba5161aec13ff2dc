"""Page images in text-layer mode: rendered only for the pages something reads them on.

marker's DocumentBuilder renders every page at 96 dpi up front (for its layout model) and, after
layout, at 192 dpi every page holding a table or an equation (for their OCR). In text-layer mode
neither model runs: the layout stage lays pages out from the text layer, and the table and
equation processors return before OCR when `disable_ocr` is set (the table processor rebuilds
digital tables from the pdftext page instead). One reader is left: marker's line builder drops
lines whose box is blank on the low-resolution image (invisible text, bad boxes), on the pages
whose lines it places itself, which are the pages the layout stage fell back on. Those pages
get their image; the others none. Any later reader of a high-resolution image still gets one
from marker's per-page loader, as in marker.
"""

from __future__ import annotations

from typing import Any

from marker.builders.document import DocumentBuilder
from marker.schema import BlockTypes
from marker.schema.registry import get_block_class

from .document import TextLayerDocument


class TextLayerDocumentBuilder(DocumentBuilder):
    """marker's DocumentBuilder, rendering a page only where a reader of its image is left."""

    # No table or equation OCR in text-layer mode: no page needs a 192 dpi image up front.
    highres_block_types = ()

    def __call__(
        self, provider: Any, layout_builder: Any, line_builder: Any, ocr_builder: Any
    ) -> Any:
        document = self.build_document(provider)
        layout_builder(document, provider)
        self.render_lowres_for_line_builder(document, provider)
        line_builder(document, provider)
        self.render_highres(document, provider)
        if not self.disable_ocr:
            ocr_builder(document, provider)
        return document

    def build_document(self, provider: Any) -> Any:
        page_class = get_block_class(BlockTypes.Page)

        def load_highres(page_id: int) -> Any:
            return provider.get_images([page_id], self.highres_image_dpi)[0]

        pages = []
        for page_id in provider.page_range:
            page = page_class(
                page_id=page_id,
                lowres_image=None,
                highres_image=None,
                polygon=provider.get_page_bbox(page_id),
                refs=provider.get_page_refs(page_id),
                pdftext_page=getattr(provider, "raw_pdftext_pages", {}).get(page_id),
            )
            page._highres_loader = load_highres
            pages.append(page)
        return TextLayerDocument(filepath=provider.filepath, pages=pages)

    def render_lowres_for_line_builder(self, document: Any, provider: Any) -> None:
        """The 96 dpi image of each page whose lines marker's line builder will place (and
        filter against that image): the pages that still have provider lines."""
        needed = [
            page
            for page in document.pages
            if page.lowres_image is None and provider.page_lines.get(page.page_id)
        ]
        if not needed:
            return
        images = provider.get_images([page.page_id for page in needed], self.lowres_image_dpi)
        for page, image in zip(needed, images, strict=True):
            page.lowres_image = image
