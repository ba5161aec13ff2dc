"""Build real EPUB 2 and EPUB 3 files in code, for tests and the demo (no fixtures on disk).

`build_epub` writes what a publisher's toolchain writes: the stored `mimetype` first, the
container, a package document with manifest and spine, XHTML chapters, and a table of contents
as an EPUB 3 navigation document, an EPUB 2 NCX, both or neither. Its keyword arguments add
the edge cases an EPUB reader must survive: extra entries (a zip bomb, a path escaping the
root, DRM's encryption.xml), spine items that are images, a `mimetype` that is not first.
"""

from __future__ import annotations

import html
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field

from bs4 import BeautifulSoup

XHTML_NS = "http://www.w3.org/1999/xhtml"


@dataclass(frozen=True)
class Chapter:
    """One spine document: its file name, its title (for the table of contents) and body.

    `sections` are (id, title) pairs of headings inside the body that the table of contents
    lists one level below the chapter.
    """

    name: str
    title: str
    body: str  # XHTML inside <body>
    sections: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SpineImage:
    """A spine item that is an image (allowed with a fallback; found without one too)."""

    name: str
    data: bytes
    fallback: str | None = None  # the file name of a chapter to read instead


@dataclass(frozen=True)
class EpubOptions:
    version: str = "3.0"
    nav: bool = True
    ncx: bool = False
    mimetype_first: bool = True
    identifier: str = "urn:uuid:00000000-0000-4000-8000-000000000000"
    creators: tuple[str, ...] = ("Ada Lovelace",)
    extra: dict[str, bytes] = field(default_factory=dict)  # more entries, as they are
    images: tuple[SpineImage, ...] = ()  # spine items after the chapters
    manifest_hrefs: tuple[str, ...] = ()  # more manifest items (e.g. a path escaping the root)


def chapter_xhtml(title: str, body: str, *, version: str = "3.0") -> str:
    epub_ns = ' xmlns:epub="http://www.idpf.org/2007/ops"' if version.startswith("3") else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<html xmlns="{XHTML_NS}"{epub_ns}><head><title>{html.escape(title)}</title></head>'
        f"<body>{body}</body></html>"
    )


def _nav(chapters: Sequence[Chapter]) -> str:
    items = []
    for chapter in chapters:
        sub = "".join(
            f'<li><a href="{chapter.name}#{sid}">{html.escape(stitle)}</a></li>'
            for sid, stitle in chapter.sections
        )
        sub_list = f"<ol>{sub}</ol>" if sub else ""
        items.append(
            f'<li><a href="{chapter.name}">{html.escape(chapter.title)}</a>{sub_list}</li>'
        )
    body = f'<nav epub:type="toc" id="toc"><h1>Contents</h1><ol>{"".join(items)}</ol></nav>'
    return chapter_xhtml("Contents", body)


def _ncx(title: str, identifier: str, chapters: Sequence[Chapter]) -> str:
    points = []
    order = 0
    for n, chapter in enumerate(chapters):
        order += 1
        inner = []
        for sid, stitle in chapter.sections:
            order += 1
            inner.append(
                f'<navPoint id="p{n}-{sid}" playOrder="{order}"><navLabel><text>'
                f'{html.escape(stitle)}</text></navLabel><content src="{chapter.name}#{sid}"/>'
                "</navPoint>"
            )
        points.append(
            f'<navPoint id="p{n}" playOrder="{order}"><navLabel><text>'
            f"{html.escape(chapter.title)}</text></navLabel>"
            f'<content src="{chapter.name}"/>{"".join(inner)}</navPoint>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1">'
        f'<head><meta name="dtb:uid" content="{html.escape(identifier)}"/></head>'
        f"<docTitle><text>{html.escape(title)}</text></docTitle>"
        f"<navMap>{''.join(points)}</navMap></ncx>"
    )


def _package(title: str, chapters: Sequence[Chapter], options: EpubOptions) -> str:
    items = [
        f'<item id="c{n}" href="{c.name}" media-type="application/xhtml+xml"/>'
        for n, c in enumerate(chapters)
    ]
    spine = [f'<itemref idref="c{n}"/>' for n in range(len(chapters))]
    if options.nav:
        items.append(
            '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
        )
    if options.ncx:
        items.append('<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>')
    for n, image in enumerate(options.images):
        by_name = {c.name: f"c{k}" for k, c in enumerate(chapters)}
        fallback = f' fallback="{by_name[image.fallback]}"' if image.fallback else ""
        items.append(f'<item id="img{n}" href="{image.name}" media-type="image/png"{fallback}/>')
        spine.append(f'<itemref idref="img{n}"/>')
    for n, href in enumerate(options.manifest_hrefs):
        items.append(f'<item id="x{n}" href="{href}" media-type="application/xhtml+xml"/>')
        spine.append(f'<itemref idref="x{n}"/>')
    creators = "".join(f"<dc:creator>{html.escape(c)}</dc:creator>" for c in options.creators)
    toc_attr = ' toc="ncx"' if options.ncx else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<package xmlns="http://www.idpf.org/2007/opf" version="{options.version}"'
        ' unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:identifier id="id">{html.escape(options.identifier)}</dc:identifier>'
        f"<dc:title>{html.escape(title)}</dc:title>{creators}<dc:language>en</dc:language>"
        f"</metadata><manifest>{''.join(items)}</manifest>"
        f"<spine{toc_attr}>{''.join(spine)}</spine></package>"
    )


def build_epub(
    title: str, chapters: Sequence[Chapter], options: EpubOptions | None = None
) -> bytes:
    """The bytes of an EPUB with these chapters, in this order."""
    options = options or EpubOptions()
    out = io.BytesIO()
    deflated = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(out, "w") as z:

        def mimetype() -> None:
            z.writestr(
                zipfile.ZipInfo("mimetype"),
                "application/epub+zip",
                compress_type=zipfile.ZIP_STORED,
            )

        if options.mimetype_first:
            mimetype()
        z.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container version="1.0"'
            ' xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
            '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>",
            compress_type=deflated,
        )
        if not options.mimetype_first:
            mimetype()
        z.writestr("OEBPS/content.opf", _package(title, chapters, options), compress_type=deflated)
        for chapter in chapters:
            z.writestr(
                f"OEBPS/{chapter.name}",
                chapter_xhtml(chapter.title, chapter.body, version=options.version),
                compress_type=deflated,
            )
        if options.nav:
            z.writestr("OEBPS/nav.xhtml", _nav(chapters), compress_type=deflated)
        if options.ncx:
            z.writestr(
                "OEBPS/toc.ncx", _ncx(title, options.identifier, chapters), compress_type=deflated
            )
        for image in options.images:
            z.writestr(f"OEBPS/{image.name}", image.data)
        for name, data in options.extra.items():
            z.writestr(name, data, compress_type=deflated)
    return out.getvalue()


def paper_epub(title: str, paragraphs: Sequence[str], *, doi: str | None = None) -> bytes:
    """A paper as an EPUB 3: a title chapter (with its DOI) and one chapter of sections."""
    front = f"<h1>{html.escape(title)}</h1>" + (f"<p>doi:{html.escape(doi)}</p>" if doi else "")
    sections = tuple((f"s{n}", f"Section {n + 1}") for n in range(len(paragraphs)))
    body = "".join(
        f'<section id="{sid}"><h2>{html.escape(stitle)}</h2><p>{html.escape(text)}</p></section>'
        for (sid, stitle), text in zip(sections, paragraphs, strict=True)
    )
    chapters = [
        Chapter("title.xhtml", title, front),
        Chapter("body.xhtml", "Text", f"<h1>Text</h1>{body}", sections),
    ]
    return build_epub(title, chapters)


def body_text(xhtml: bytes) -> str:
    """What a reader sees of a content document: its body, less scripts, styles, navigation
    lists and hidden elements. An extraction independent of the converter's, to measure it."""
    soup = BeautifulSoup(xhtml, "html.parser")
    body = soup.body or soup
    for tag in body.find_all(["script", "style", "nav"]):
        tag.decompose()
    for tag in body.find_all(hidden=True):
        tag.decompose()
    return body.get_text(" ")
