"""Blocks: a column run's lines cut into headings, paragraphs, captions, list items, footnotes,
code listings.

A new block starts where the text says so: extra space above a line, a change of type size, a
first-line indent after a full line, a short line that ends a sentence, a heading, a caption
("Figure 3."), a bullet, or a reference entry ("[12]", "12.", a hanging indent).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .algorithms import split_algorithms
from .columns import Run
from .headings import REFERENCES, continues_heading, looks_like_heading
from .lines import DocumentStyle, TextLine, is_monospace
from .runin import split_run_in
from .spacing import chars_by_span_start
from .tables import split_tables
from .title import TITLE

HEADING = "SectionHeader"
TEXT = "Text"
CAPTION = "Caption"
LIST_ITEM = "ListItem"
FOOTNOTE = "Footnote"
TABLE = "Table"
CODE = "Code"

_CAPTION_START = re.compile(
    r"^(fig(ure)?|tab(le)?|algorithm|listing|scheme|chart)\.?\s*(\d+|[IVX]+)[a-z]?\s*[.:|—–-]", re.I
)
_BULLET = re.compile(
    r"^(?:[•◦▪▸►‣⁃∙·●○■□–—*-]\s+|\(?\d{1,2}\)\s+|\(?[a-z]\)\s+|\(?[ivx]{1,4}\)\s+)"
)
# "[12]", "[Smi02]", "12.", "(12)", and "12 Surname, A." (numbered without a stop).
_REF_START = re.compile(
    r"^(?:\[\s*[\w+.\- ]{1,12}\]|\d{1,3}\.\s|\(\d{1,3}\)\s|\d{1,3}\s+[A-Z][\w'’-]+,\s)"
)
_FOOTNOTE_MARK = re.compile(r"^(?:\d{1,3}|[*†‡§¶#]+|[a-z])(?:\s|\)|\.|$)|^\W{1,2}\s?[A-Z]")
_SENTENCE_END = re.compile(r"[.!?:][\"'”’)]?$")
# An affiliation or a note opens with its mark set against its first word ("†Department of …");
# a mark standing alone ("∗ , Mohammad", "∗ f,β(x)") goes with the line above.
_NOTE_START = re.compile(r"^[∗†‡§¶‖][^\W\d_]")
_CLOSERS = ",;)]}"
_ENUMERATION = re.compile(r"^(?:\d+(?:\.\d+)*[.)]?|[A-Z]\.|[IVX]+\.)\s+[A-Z]")
# An item label counted up line by line: "[0] ...", "[1] ..." or "1. ...", "2) ...".
_COUNTED_LABEL = re.compile(
    r"^(?:\[(?P<bracketed>\d{1,3})\]|(?P<numbered>\d{1,3})(?P<sub>(?:\.\d{1,2})*)[.)])\s"
)
_LABEL_LOOKAHEAD = 4  # an item wraps onto at most this many lines before the next label
_HEADING_LINES = 3  # a heading wraps onto at most this many lines
# A reference entry opens with its authors: "Riess A G et al,", "Smith, J. A., &", "van Elst H
# and", "García-Bellido J,": a surname, up to four initials, then a comma, "and", "et al" or "&".
_AUTHOR_START = re.compile(
    r"^(?:(?:van|von|de|der|den|di|da|du|le|la|del|dos)\s)*[A-ZÀ-ÖØ-ÞĆČŁŚŠŹŻŽ][^\s,]*"
    r"(?:[- ][^\W\d_][^\s,]*)?"
    r",?\s(?:[A-Z][a-z]?\.?[\s-]?){1,4}(?:,|\s*&|\s*and\b|\s*et\s+al)"
)
_ENTRY_END = re.compile(r"[\d.\])]$")  # an entry ends with its pages, a year, "[SPIRES]", "Press)"


@dataclass
class Block:
    kind: str
    lines: list[TextLine] = field(default_factory=list)
    title: bool = False  # the document title (heading level 1)
    run_in: bool = False  # a bold phrase cut from the start of a paragraph
    run: int = 0  # which column run of its page it came from
    continues: bool = False  # its last sentence goes on in the next block (column or page break)
    counted: bool = False  # an item of a list whose labels count up ("[0]", "[1]", "2.1.")
    listing: str | None = None  # an algorithm's steps as text, one a line (algorithms.py)
    level: int | None = None

    @property
    def text(self) -> str:
        return " ".join(line.text for line in self.lines)

    @property
    def page_bbox(self) -> tuple[float, float, float, float]:
        """The block's box on the page, whichever way its text is turned."""
        boxes = [ln.page_box for ln in self.lines]
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (
            min(ln.x0 for ln in self.lines),
            min(ln.y0 for ln in self.lines),
            max(ln.x1 for ln in self.lines),
            max(ln.y1 for ln in self.lines),
        )


@dataclass
class Context:
    """What segmentation carries from page to page."""

    style: DocumentStyle
    in_references: bool = False
    raw_page: dict | None = None  # pdftext's glyphs of the page being laid out (tables)


def segment(run: Run, ctx: Context) -> list[Block]:
    """Cut one column run into blocks, in order: its tables, and text blocks between them."""
    if run.turned:  # a float set sideways: its cells' words, no sections or references
        return [Block(TEXT, b.lines) if b.kind == HEADING else b for b in _segment_text(run, ctx)]
    if ctx.in_references:  # labelled entries side by side with their text are no table
        return _segment_text(run, ctx)
    blocks: list[Block] = []
    for part in split_algorithms(run, ctx.style, chars_by_span_start(ctx.raw_page)):
        if part.listing is not None:
            blocks.append(Block(CODE, part.listing.lines, listing=part.listing.text))
        else:
            blocks.extend(_segment_prose(part.run, ctx))
    return blocks


def _segment_prose(run: Run, ctx: Context) -> list[Block]:
    """A stretch of a column run without pseudocode: its tables, and text blocks between them."""
    blocks: list[Block] = []
    for piece in split_tables(run, ctx.style, ctx.raw_page):
        if piece.table:
            blocks.append(Block(TABLE, piece.run.lines))
        else:
            blocks.extend(_segment_text(piece.run, ctx))
    return blocks


def _segment_text(run: Run, ctx: Context) -> list[Block]:
    """Cut a stretch of a column run without tables into blocks, in order."""
    blocks: list[Block] = []
    lines = run.lines
    counted = counted_items(lines, ctx.style)
    i = 0
    while i < len(lines):
        line = lines[i]
        prev = lines[i - 1] if i else None
        if TITLE in line.tags:
            title = Block(HEADING, [line], title=True)
            i += 1
            while i < len(lines) and TITLE in lines[i].tags:
                title.lines.append(lines[i])
                i += 1
            blocks.append(title)
            continue
        if (code := _code_listing(lines, i, ctx.style)) is not None:
            blocks.append(code)
            i += len(code.lines)
            continue
        gap_before = prev is None or _gap(prev, line, ctx.style) > 1.3
        if looks_like_heading(line, ctx.style, gap_before=gap_before) and _heading_context_ok(
            lines, i, ctx.style
        ):
            heading = Block(HEADING, [line])
            end = i + 1
            while (
                end < len(lines)
                and len(heading.lines) <= _HEADING_LINES
                and continues_heading(heading.lines[-1], lines[end], ctx.style)
            ):
                heading.lines.append(lines[end])
                end += 1
            # More lines in heading type than a heading takes: a paragraph set large (a pull
            # quote, an abstract in display type), read as the text it is.
            if len(heading.lines) <= _HEADING_LINES:
                blocks.append(heading)
                ctx.in_references = bool(REFERENCES.match(heading.text))
                i = end
                continue
        kind = _start_kind(line, ctx)
        if counted.get(i) == "bracketed":
            kind = LIST_ITEM  # "1." items stay paragraphs: markdown reads them as a list already
        if kind == TEXT and (parts := split_run_in(line)):
            head, line = parts
            blocks.append(Block(HEADING, [head], run_in=True))
        block = Block(kind, [line], counted=i in counted)
        i += 1
        while (
            i < len(lines) and i not in counted and not _starts_new_block(block, lines, i, run, ctx)
        ):
            block.lines.append(lines[i])
            i += 1
        blocks.append(block)
    return _merge_fragments(blocks)


def _code_listing(lines: list[TextLine], i: int, style: DocumentStyle) -> Block | None:
    """Two or more consecutive lines set in a fixed-pitch face, in a paper whose body is not:
    a code listing, kept line by line (builder._listing_text indents each line by where it starts)."""
    if is_monospace(style.body_font):
        return None
    end = i
    while (
        end < len(lines)
        and is_monospace(lines[end].font)
        and (end == i or 0 < _gap(lines[end - 1], lines[end], style) < 2.5)
    ):
        end += 1
    listing = lines[i:end]
    # Authors' addresses set in typewriter under a title are no code.
    addresses = sum(bool(_ADDRESS.search(line.text)) for line in listing)
    return Block(CODE, listing) if len(listing) >= 2 and addresses < len(listing) / 2 else None


def counted_items(lines: list[TextLine], style: DocumentStyle) -> dict[int, str]:
    """The lines that open an item of a list set without bullets, by their label's shape.

    A label counted up by one from a label of the same shape a few lines above, at the same x,
    opens an item ("[0] ...", "[1] ..."), and so does the label it counts on from. A citation
    that happens to open a line ("[12] showed ...") has no such neighbour. Sub-numbered lines
    between two counted labels ("2.1. ...", "2.2. ..." between "2." and "3.": a table of
    contents) open items of their own, each with its own allowance of wrapped lines.
    """
    labels: dict[int, tuple[str, int, bool]] = {}
    for index, line in enumerate(lines):
        if match := _COUNTED_LABEL.match(line.text):
            shape = "bracketed" if match["bracketed"] is not None else "numbered"
            labels[index] = (shape, int(match[shape]), bool(match["sub"]))
    items: dict[int, str] = {}
    for index, (shape, number, sub) in labels.items():
        if sub:
            continue
        subs: list[int] = []
        budget = _LABEL_LOOKAHEAD
        later = index + 1
        while later < len(lines) and budget > 0:
            label = labels.get(later)
            if label == (shape, number, True):
                subs.append(later)
                budget = _LABEL_LOOKAHEAD  # the sub-item may wrap as much as an item
            elif label == (shape, number + 1, False) and (
                abs(lines[later].x0 - lines[index].x0) < 0.5 * style.body_size
            ):
                for opened in (index, *subs, later):
                    items[opened] = shape
                break
            else:
                budget -= 1
            later += 1
    return items


def _opens_sub_entry(block: Block, line: TextLine, prev: TextLine) -> bool:
    """A reference entry set on its own line under another entry's label (several works cited
    under one number): the line above closed an entry and this one opens with an author list."""
    return (
        block.kind == LIST_ITEM
        and bool(_ENTRY_END.search(prev.text))
        and bool(_AUTHOR_START.match(line.text))
    )


_ADDRESS = re.compile(r"\S@\S|://")
_FRAGMENT_WORDS = 4


def _merge_fragments(blocks: list[Block]) -> list[Block]:
    """Consecutive scraps of a few words (figure labels, table cells, a stray formula) read as
    one paragraph of text instead of dozens of one-word paragraphs."""
    merged: list[Block] = []
    for block in blocks:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and block.kind == TEXT
            and prev.kind == TEXT
            and not (block.counted or prev.counted)
            and len(block.text.split()) <= _FRAGMENT_WORDS
            # Scraps join scraps: a paragraph's short last line is no scrap ("Correspondence:"
            # under it opens a note, no part of the paragraph's sentence).
            and all(len(ln.text.split()) <= _FRAGMENT_WORDS for ln in prev.lines)
        ):
            prev.lines.extend(block.lines)
        else:
            merged.append(block)
    return merged


def _start_kind(line: TextLine, ctx: Context) -> str:
    if _CAPTION_START.match(line.text):
        return CAPTION
    if ctx.in_references:
        return LIST_ITEM
    if _BULLET.match(line.text):
        return LIST_ITEM
    return TEXT


def _gap(a: TextLine, b: TextLine, style: DocumentStyle) -> float:
    """Distance between two lines' tops, in typical line pitches for their size."""
    pitch = style.line_pitch * max(a.size, b.size) / style.body_size
    return (b.y0 - a.y0) / max(pitch, 1.0)


def _heading_context_ok(lines: list[TextLine], i: int, style: DocumentStyle) -> bool:
    """A bold line inside a run of bold body lines is emphasis, not a heading."""
    line = lines[i]
    if _beside_another(lines, i):
        return False  # a cell of a table row or a label in a figure
    if style.larger(line):
        return True
    nxt = lines[i + 1] if i + 1 < len(lines) else None
    if nxt is None or not nxt.bold or style.larger(nxt) or _gap(line, nxt, style) > 1.3:
        return True
    # The next line is bold too and close: a heading only if that one is short as well.
    return len(nxt.text.split()) <= 8 and abs(nxt.size - line.size) < 0.12 * style.body_size


def _beside_another(lines: list[TextLine], i: int) -> bool:
    line = lines[i]
    for j in range(max(0, i - 6), min(len(lines), i + 7)):
        other = lines[j]
        if j == i or other.height > 3 * max(line.height, 1.0):
            continue  # a tall neighbour is rotated margin text or a figure, no table row
        if len(other.text) >= 3 and other.height > 2 * other.width:
            continue  # a word set sideways (a rotated table beside the column): no cell here
        overlap = min(line.y1, other.y1) - max(line.y0, other.y0)
        apart = other.x0 >= line.x1 + 2 or other.x1 <= line.x0 - 2
        if apart and overlap > 0.5 * min(line.height, other.height):
            return True
    return False


def _starts_new_block(block: Block, lines: list[TextLine], i: int, run: Run, ctx: Context) -> bool:
    line, prev = lines[i], lines[i - 1]
    style = ctx.style
    size = max(style.body_size, line.size)
    if line.y0 < prev.y0 - 0.5 * size:
        return True  # the run went back up: a new area
    if _gap(prev, line, style) > 1.45:
        return True
    if abs(line.size - prev.size) > 0.15 * style.body_size and line.y0 > prev.y1 - 1:
        return True
    if _CAPTION_START.match(line.text):
        return True
    if _NOTE_START.match(line.text) and not prev.text.endswith("-"):
        return True
    if looks_like_heading(line, style, gap_before=False) and (
        _gap(prev, line, style) > 1.2 or _SENTENCE_END.search(prev.text)
    ):
        return True
    if _SENTENCE_END.search(prev.text) and split_run_in(line) is not None:
        return True
    indent = line.x0 - run.left
    prev_indent = prev.x0 - run.left
    prev_short = _ended_early(prev, line, run, size)
    if block.kind == LIST_ITEM:
        if _BULLET.match(line.text) and not ctx.in_references:
            return True
        if ctx.in_references:
            if _REF_START.match(line.text) and _REF_START.match(block.lines[0].text):
                return True
            if _opens_sub_entry(block, line, prev):
                return True
            # Hanging indents: an entry starts back at the left edge.
            first_indent = block.lines[0].x0 - run.left
            if (
                len(block.lines) >= 1
                and prev_indent > 0.7 * size
                and indent < 0.3 * size < first_indent + 0.3 * size
            ):
                return True
            if (
                prev_short
                and _SENTENCE_END.search(prev.text)
                and indent < 0.3 * size
                and not _REF_START.match(block.lines[0].text)
            ):
                return True
        return False
    if _BULLET.match(line.text) and (prev_short or _SENTENCE_END.search(prev.text)):
        return True
    # A first-line indent after a line that ran to the margin, unless the block hangs
    # (its next lines are indented too: a reference list or a quotation).
    # A line set in under a labelled line ("3. Haider, B. ...", "• Spans ...") is the rest of
    # that item: its label hangs in the margin.
    labelled = _BULLET.match(block.lines[0].text) or _REF_START.match(block.lines[0].text)
    if labelled and prev_indent < 0.5 * size and 0.7 * size < indent < 4 * size:
        return False
    # A line set in under one that stops mid-sentence and going on in lowercase is the wrapped
    # rest of an indented block (a displayed question, an unlabelled item), not a new paragraph.
    sentence_goes_on = not _SENTENCE_END.search(prev.text) and line.text[:1].islower()
    # A centred line under one whose sentence goes on (a venue footer's "…, pages 624–633," /
    # "Baltimore, …") stands in from both edges alike: that is no first-line indent.
    centred = abs((line.x0 + line.x1) - (prev.x0 + prev.x1)) <= 0.4 * size
    sentence_goes_on = sentence_goes_on or (centred and not _SENTENCE_END.search(prev.text))
    if 0.7 * size < indent < 6 * size and prev_indent < 0.5 * size and not sentence_goes_on:
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        hanging = (
            nxt is not None and abs(nxt.x0 - line.x0) < 0.5 * size and _gap(line, nxt, style) < 1.3
        )
        if not hanging:
            return True
    if (
        prev_short
        and _SENTENCE_END.search(prev.text)
        and (line.text[:1].isupper() or line.text[:1].isdigit())
    ):
        return True
    return False


def _ended_early(prev: TextLine, line: TextLine, run: Run, size: float) -> bool:
    """True where `prev` stops short of the column's right edge by more than the next line's
    first word needs: the line was ended, not filled (also in ragged-right text, whose full
    lines stop short by less than a word)."""
    room = run.right - prev.x1
    char_width = prev.width / max(1, len(prev.text))
    first = line.words[0] if line.words else ""
    return room > max(size, (len(first) + 1) * char_width)


def mark_footnotes(blocks: list[Block], style: DocumentStyle, page_height: float) -> None:
    """Small-type text at the foot of a page, below the body text, is a footnote."""
    body_bottom = max(
        (
            ln.y1
            for b in blocks
            if b.kind in (TEXT, HEADING)
            for ln in b.lines
            if not style.smaller(ln)
        ),
        default=0.0,
    )
    for block in blocks:
        if block.kind != TEXT:
            continue
        top = min(ln.y0 for ln in block.lines)
        first = block.lines[0]
        marked = bool(_FOOTNOTE_MARK.match(first.text)) or any(
            s.has_superscript for s in first.output.spans[:2]
        )
        if (
            marked
            and top >= body_bottom - 1
            and top > page_height * 0.6
            and all(style.smaller(ln, 0.93) for ln in block.lines)
        ):
            block.kind = FOOTNOTE


def _monospaced(block: Block) -> bool:
    """Most of the block's lines are set in a typewriter font (a line of dots or symbols in
    between may not be)."""
    typed = sum(is_monospace(line.font) for line in block.lines)
    return typed >= 0.8 * len(block.lines)


def continues_into(block: Block, following: Block) -> bool:
    """True where `block`'s last sentence runs on into `following` (across a column or page)."""
    if block.kind != TEXT or following.kind != TEXT:
        return False
    end = block.lines[-1].text.rstrip()
    start = following.lines[0].text.lstrip()
    if not end or not start:
        return False
    if _monospaced(block) != _monospaced(following):
        return False  # a code listing's last line goes on in no paragraph of prose
    if re.search(r"[a-z]-$", end):
        return True
    if _SENTENCE_END.search(end):
        return False
    # Lowercase goes on with the sentence; so does what closes it ("2017)." after "Xiong et
    # al.,") or follows a comma, unless the next block opens an enumeration ("2. Methods").
    if start[0].islower() or start[0] in _CLOSERS:
        return True
    return (end[-1] in ",;(" or start[0].isdigit()) and not _ENUMERATION.match(start)
