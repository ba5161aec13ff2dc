"""An EPUB's own table of contents: the EPUB 3 navigation document, else the EPUB 2 NCX.

Each entry is a label, its depth in the tree (1 = top) and where it points (a spine document
and, usually, the id of an element in it). Entries without a target (category labels, which
EPUB 3 allows as `<span>` or `<a>` without href) point where their first child points.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element

from bs4 import BeautifulSoup, Tag
from bs4.exceptions import ParserRejectedMarkup

from ..acquisition.epub_package import EpubArchive, PackageInfo, is_inside_root, parse_package_xml
from ..errors import SourceFailed


@dataclass(frozen=True)
class NavEntry:
    label: str
    depth: int
    path: str | None  # the document it points to; None when neither it nor a child points
    fragment: str | None  # the element id within it; None for the document's start
    has_target: bool  # False for a category label that borrows its first child's target


def read_toc(archive: EpubArchive, package: PackageInfo) -> list[NavEntry]:
    """The table of contents in reading order; empty when the EPUB has none that parses."""
    if package.nav_path and archive.has(package.nav_path):
        entries = _from_nav(archive.read(package.nav_path), package.nav_path)
        if entries:
            return entries
    if package.ncx_path and archive.has(package.ncx_path):
        try:
            root = parse_package_xml(archive.read(package.ncx_path), package.ncx_path)
        except SourceFailed:
            return []  # a broken NCX costs heading levels, not the book
        nav_map = root.find("navMap")
        if nav_map is not None:
            return _from_ncx(nav_map, package.ncx_path)
    return []


def _target(base_path: str, href: str | None) -> tuple[str | None, str | None]:
    if not href:
        return None, None
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return None, None  # a link out of the book
    path = unquote(parts.path)
    joined = (
        posixpath.normpath(posixpath.join(posixpath.dirname(base_path), path))
        if path
        else base_path
    )
    if not is_inside_root(joined):
        return None, None
    return joined, unquote(parts.fragment) or None


def _label(text: str) -> str:
    return " ".join(text.split())


def _from_nav(data: bytes, nav_path: str) -> list[NavEntry]:
    try:
        soup = BeautifulSoup(data, "html.parser")
    except ParserRejectedMarkup:
        return []  # a broken navigation document costs heading levels, not the book
    navs = soup.find_all("nav")
    toc = next(
        (
            n
            for n in navs
            if "toc" in str(n.get("epub:type", "")).split() or n.get("role") == "doc-toc"
        ),
        navs[0] if navs else None,
    )
    top = toc.find("ol") if toc is not None else None
    entries: list[NavEntry] = []
    if isinstance(top, Tag):
        _walk_nav_list(top, 1, nav_path, entries)
    return _borrow_targets(entries)


def _walk_nav_list(ol: Tag, depth: int, nav_path: str, out: list[NavEntry]) -> None:
    for li in ol.find_all("li", recursive=False):
        head = li.find(["a", "span"], recursive=False)
        if head is not None:
            path, fragment = _target(nav_path, head.get("href"))
            label = _label(head.get_text(" "))
            if label:
                out.append(NavEntry(label, depth, path, fragment, has_target=path is not None))
        child = li.find("ol", recursive=False)
        if isinstance(child, Tag):
            _walk_nav_list(child, depth + 1, nav_path, out)


def _from_ncx(nav_map: Element, ncx_path: str) -> list[NavEntry]:
    entries: list[NavEntry] = []

    def walk(parent: Element, depth: int) -> None:
        for point in parent.findall("navPoint"):
            text = point.find("navLabel/text")
            content = point.find("content")
            path, fragment = _target(ncx_path, content.get("src") if content is not None else None)
            label = _label("".join(text.itertext())) if text is not None else ""
            if label:
                entries.append(NavEntry(label, depth, path, fragment, has_target=path is not None))
            walk(point, depth + 1)

    walk(nav_map, 1)
    return _borrow_targets(entries)


def _borrow_targets(entries: list[NavEntry]) -> list[NavEntry]:
    """Give each entry without a target the target of the next entry below it that has one."""
    out = list(entries)
    for i, entry in enumerate(out):
        if entry.path is not None:
            continue
        for later in out[i + 1 :]:
            if later.depth <= entry.depth:
                break
            if later.path is not None:
                out[i] = NavEntry(entry.label, entry.depth, later.path, later.fragment, False)
                break
    return out
