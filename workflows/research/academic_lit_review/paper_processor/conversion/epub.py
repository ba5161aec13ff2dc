"""An EPUB to markdown, straight from its XHTML: no rendering, no model, no converter worker.

    spine order        each content document of the spine, in reading order (a spine item that
                       is an image follows its manifest fallback to XHTML, or is left out); the
                       navigation document itself is a table of contents, not content
    heading levels     from the EPUB's own table of contents (nav, else NCX): the heading an
                       entry points at takes the entry's depth; an entry that points at no
                       heading, or at one that does not carry its label, becomes a heading with
                       the label (the document's own heading then stays, in bold); headings the
                       table does not list sit below the last one it does
    notes              footnotes, endnotes and rearnotes (`epub:type`, or DPUB-ARIA roles) that a
                       note reference points at become markdown footnotes `[^n]`, defined where
                       the note stands, numbered across the book
    formulas           MathML as LaTeX (mathml.py)

The result keeps one markdown text per spine document (`EpubText.documents`), the unit a
per-page quality score uses for an EPUB. Blocking: call it from a worker thread.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup, Comment, Tag
from bs4.exceptions import ParserRejectedMarkup

from ..acquisition.epub_package import content_document, open_epub
from ..errors import SourceFailed
from ..models import Reason
from .epub_nav import NavEntry, read_toc
from .xhtml_markdown import (
    MAX_DEPTH,
    NOTE,
    NOTEREF,
    body_of,
    epub_types,
    nesting_depth,
    parse_xhtml,
    tidy,
    to_markdown,
)

CONVERTER_NAME = "epub-xhtml"
_NOTE_TYPES = frozenset({"footnote", "endnote", "rearnote", "note"})
_NOTE_LISTS = frozenset({"footnotes", "endnotes", "rearnotes"})
_HEADING = re.compile(r"^h([1-6])$")
_IDENTITY_CHARS = 6000
# How far into a target element its opening heading may sit (wrappers, anchors, labels).
_HEADING_SEARCH = 40
_INLINE = frozenset({"a", "span"})
_TITLE_BLOCKS = ["p", "div"]
# XHTML read per book: a long monograph has a few MB; parsed trees take ~10x their text in memory.
MAX_TEXT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class SpineDocument:
    path: str
    markdown: str


@dataclass(frozen=True)
class EpubText:
    """A converted EPUB: its metadata and one markdown text per spine document."""

    title: str | None
    creators: tuple[str, ...]
    identifiers: tuple[str, ...]
    documents: tuple[SpineDocument, ...]
    toc_entries: int  # entries of the table of contents that headings were taken from
    contents: tuple[str, ...] = ()  # the labels of the table of contents, in order

    @property
    def markdown(self) -> str:
        return "\n\n".join(d.markdown.strip() for d in self.documents if d.markdown.strip()) + "\n"

    def identity_text(self) -> str:
        """What the right-paper check reads: the metadata's title and ids, the table of contents
        (a chapter of an edited volume is found by its title there), then the first text."""
        head = "\n".join([self.title or "", *self.creators, *self.identifiers, *self.contents])
        return head + "\n" + self.markdown[:_IDENTITY_CHARS]


def convert_epub(path: Path, *, max_unpacked_bytes: int) -> EpubText:
    """Validate and convert the EPUB at `path`; SourceFailed says why it cannot be read."""
    with open_epub(path, max_unpacked_bytes=max_unpacked_bytes) as archive:
        package = archive.package()
        bodies: dict[str, Tag] = {}
        text_bytes = 0
        for spine_item in package.spine:
            item = content_document(package, spine_item.item)
            if item is None or item.path == package.nav_path or item.path in bodies:
                continue
            if not archive.has(item.path):
                continue  # a dangling spine entry: the rest of the book still reads
            text_bytes += archive.size(item.path)
            if text_bytes > MAX_TEXT_BYTES:
                raise SourceFailed(
                    Reason.TOO_LARGE, f"more than {MAX_TEXT_BYTES} bytes of XHTML in the spine"
                )
            body = body_of(_parsed(archive.read(item.path), item.path))
            if (depth := nesting_depth(body)) > MAX_DEPTH:
                raise SourceFailed(
                    Reason.CONVERSION_FAILED,
                    f"{item.path} nests elements {depth} deep (at most {MAX_DEPTH} are read)",
                )
            tidy(body)
            bodies[item.path] = body
        if not bodies:
            raise SourceFailed(Reason.CORRUPT_EPUB, "the spine holds no readable XHTML document")
        toc = read_toc(archive, package)
    _number_notes(bodies)
    placed = _place_toc_headings(bodies, toc)
    _level_other_headings(bodies)
    documents = tuple(SpineDocument(p, to_markdown(body)) for p, body in bodies.items())
    if not any(any(ch.isalnum() for ch in d.markdown) for d in documents):
        raise SourceFailed(
            Reason.CONVERSION_FAILED, f"no text in the {len(documents)} spine document(s)"
        )
    return EpubText(
        title=package.title,
        creators=package.creators,
        identifiers=package.identifiers,
        documents=documents,
        toc_entries=placed,
        contents=tuple(entry.label for entry in toc),
    )


def _parsed(data: bytes, path: str) -> BeautifulSoup:
    try:
        return parse_xhtml(data)
    except (ParserRejectedMarkup, AssertionError, ValueError) as exc:
        # html.parser gives up on a few malformed declarations; bs4 reports it as rejected.
        raise SourceFailed(Reason.CORRUPT_EPUB, f"{path} does not parse: {exc}") from exc


# -- notes -------------------------------------------------------------------------------------
def _link_target(doc_path: str, href: str) -> tuple[str, str] | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.fragment:
        return None
    path = unquote(parts.path)
    target = (
        posixpath.normpath(posixpath.join(posixpath.dirname(doc_path), path)) if path else doc_path
    )
    return target, unquote(parts.fragment)


def _is_note(tag: Tag) -> bool:
    if epub_types(tag) & _NOTE_TYPES:
        return True
    return (
        tag.name == "li"
        and tag.find_parent(lambda t: bool(epub_types(t) & _NOTE_LISTS)) is not None
    )


def _number_notes(bodies: dict[str, Tag]) -> None:
    """Note references become `[^n]` and the notes they point at footnote definitions."""
    notes = {
        (path, str(tag["id"])): tag
        for path, body in bodies.items()
        for tag in body.find_all(id=True)
        if _is_note(tag)
    }
    if not notes:
        return
    numbers: dict[tuple[str, str], int] = {}
    for path, body in bodies.items():
        for link in body.find_all("a", href=True):
            target = _link_target(path, str(link["href"]))
            note = notes.get(target) if target is not None else None
            if target is None or note is None or any(p is note for p in link.parents):
                continue  # not a note reference, or a link inside the note itself
            number = numbers.setdefault(target, len(numbers) + 1)
            wrapper = link.parent
            ref = Tag(name=NOTEREF, attrs={"n": str(number)})
            # `<sup><a>1</a></sup>`: the whole superscript is the reference.
            if (
                isinstance(wrapper, Tag)
                and wrapper.name in ("sup", "sub")
                and wrapper.get_text(strip=True) == link.get_text(strip=True)
            ):
                wrapper.replace_with(ref)
            else:
                link.replace_with(ref)
    for target, number in numbers.items():
        note = notes[target]
        for back in note.find_all("a", href=True):
            # Back-links (↩) carry no words; a labelled one ("Line 20.") keeps its text.
            if "backlink" in epub_types(back) or not any(ch.isalnum() for ch in back.get_text()):
                back.decompose()
        note.name = NOTE
        note.attrs = {"n": str(number)}


# -- headings ------------------------------------------------------------------------------------
def _words(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.casefold()))


def _carries(heading: str, label: str) -> bool:
    """The heading says what the table-of-contents label says (either may be the longer)."""
    h, g = _words(heading), _words(label)
    return bool(g) and (g in h or (len(h) > 8 and h in g))


def _opening_heading(element: Tag) -> Tag | None:
    """The heading `element` is, or opens with (no text before it); None if there is none, or
    if an earlier table-of-contents entry has taken it already."""
    if _HEADING.match(element.name or ""):
        return None if element.get("data-toc") else element
    for count, node in enumerate(element.descendants):
        if count > _HEADING_SEARCH:
            return None
        if isinstance(node, Tag):
            if _HEADING.match(node.name or ""):
                return None if node.get("data-toc") else node
        elif not isinstance(node, Comment) and str(node).strip():
            return None  # text comes first: the element does not open with a heading
    return None


def _heading_for(target: Tag) -> Tag | None:
    """The heading a table-of-contents target stands for: the heading it is in (`<h2><a id>`),
    the heading it opens with, or, for an empty anchor, the heading right after it."""
    enclosing = target.find_parent(_HEADING)
    if enclosing is not None:
        return None if enclosing.get("data-toc") else enclosing
    heading = _opening_heading(target)
    if heading is not None or target.name == "body" or target.get_text(strip=True):
        return heading
    for sibling in target.next_siblings:
        if isinstance(sibling, Tag):
            return _opening_heading(sibling)
        if not isinstance(sibling, Comment) and str(sibling).strip():
            return None  # text follows the anchor, not a heading
    return None


def _title_block(target: Tag, label: str) -> Tag | None:
    """A paragraph styled as a heading (`<p class="chapter-title">`, common in converted books)
    that says the label and little else: the block the target is, opens, or is an anchor in."""
    if target.name in _INLINE and not target.get_text(strip=True):
        target = target.parent if isinstance(target.parent, Tag) else target
    candidate: Tag | None = target
    for _ in range(4):  # down through wrappers to the first block, with no text before it
        if candidate is None or candidate.find(_TITLE_BLOCKS) is None:
            break
        candidate = _first_child_block(candidate)
    if candidate is None or candidate.name not in _TITLE_BLOCKS:
        return None
    text = candidate.get_text(" ")
    if _carries(text, label) and len(_words(text).split()) <= len(_words(label).split()) + 3:
        return candidate
    return None


def _first_child_block(element: Tag) -> Tag | None:
    for child in element.children:
        if isinstance(child, Tag):
            return child if child.name in _TITLE_BLOCKS else None
        if not isinstance(child, Comment) and str(child).strip():
            return None
    return None


def _place_toc_headings(bodies: dict[str, Tag], toc: list[NavEntry]) -> int:
    placed = 0
    ids = {
        path: {str(tag["id"]): tag for tag in body.find_all(id=True)}
        for path, body in bodies.items()
    }
    for entry in toc:
        body = bodies.get(entry.path or "")
        if body is None:
            continue  # points at the navigation document, or outside the spine
        target = ids[entry.path or ""].get(entry.fragment) if entry.fragment else body
        if not isinstance(target, Tag):
            continue
        level = str(min(entry.depth, 6))
        heading = _heading_for(target)
        if (
            entry.has_target
            and heading is not None
            and _carries(heading.get_text(" "), entry.label)
        ):
            heading["data-h"] = heading.name[1]
            heading.name = f"h{level}"
            heading["data-toc"] = level
            placed += 1
            continue
        block = _title_block(target, entry.label) if heading is None else None
        if block is not None:
            block.name = f"h{level}"
            block["data-toc"] = level
            placed += 1
            continue
        new = Tag(name=f"h{level}", attrs={"data-toc": level})
        new.string = entry.label
        if heading is not None and entry.has_target:
            # The document's own heading says something else: keep its words, in bold.
            heading.name = "p"
            strong = Tag(name="strong")
            for child in list(heading.contents):
                strong.append(child.extract())
            heading.append(strong)
            heading.insert_before(new)
        elif heading is not None:
            heading.insert_before(new)  # a category label above its first entry's heading
        elif target is body or target.name in ("section", "div", "article", "aside", "body"):
            _insert_first(target, new)
        else:
            target.insert_before(new)
        placed += 1
    return placed


def _insert_first(container: Tag, new: Tag) -> None:
    """Insert after the table-of-contents headings already placed at the container's start."""
    index = 0
    for i, child in enumerate(container.contents):
        if isinstance(child, Tag):
            if child.get("data-toc"):
                index = i + 1
                continue
            break
        if str(child).strip():
            break
    container.insert(index, new)


def _level_other_headings(bodies: dict[str, Tag]) -> None:
    """Headings the table of contents does not list sit below the last one it does."""
    for body in bodies.values():
        last_level: int | None = None
        last_h: int | None = None
        for heading in body.find_all(_HEADING):
            if heading.get("data-toc"):
                last_level = int(heading["data-toc"])
                last_h = int(heading["data-h"]) if heading.get("data-h") else None
                continue
            n = int(heading.name[1])
            if last_level is None:
                continue
            if last_h is not None:
                level = last_level + (n - last_h)
            else:
                level = max(n, last_level + 1)
            heading.name = f"h{max(1, min(6, level))}"
