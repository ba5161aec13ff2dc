"""marker's PdfConverter for text-layer mode, with the provider and document builder of this
package plugged in (marker's `build_document` names its own classes, so this one names ours)."""

from __future__ import annotations

from typing import Any

from marker.builders.line import LineBuilder
from marker.builders.ocr import OcrBuilder
from marker.builders.structure import StructureBuilder
from marker.converters.pdf import PdfConverter
from marker.providers.pdf import PdfProvider
from marker.providers.registry import provider_from_filepath

from .images import TextLayerDocumentBuilder
from .provider import TextLayerPdfProvider

# Converter options of text-layer mode: the renderer crops no images (the worker keeps only the
# markdown, and the crops would be the only reason left to render a page).
TEXT_LAYER_CONFIG: dict[str, Any] = {"extract_images": False}


class TextLayerPdfConverter(PdfConverter):
    """PdfConverter that builds PDFs with TextLayerPdfProvider and TextLayerDocumentBuilder."""

    def build_document(self, filepath: str) -> Any:
        provider_cls = provider_from_filepath(filepath)
        if provider_cls is not PdfProvider:  # another kind of file: marker's own path
            return super().build_document(filepath)
        layout_builder = self.resolve_dependencies(self.layout_builder_class)
        line_builder = self.resolve_dependencies(LineBuilder)
        ocr_builder = self.resolve_dependencies(OcrBuilder)
        provider = TextLayerPdfProvider(filepath, self.config)
        document = TextLayerDocumentBuilder(self.config)(
            provider, layout_builder, line_builder, ocr_builder
        )
        self.resolve_dependencies(StructureBuilder)(document)
        for processor in self.processor_list:
            processor(document)
        return document
