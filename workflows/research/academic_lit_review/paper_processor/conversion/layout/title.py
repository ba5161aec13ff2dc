"""The document title: the longest run of large type in the upper part of the first page.

Journals put other large type up there too: a banner ("Research Article", the journal's name
set sideways in the margin). A banner is short, set in a type of its own, or not horizontal; the
title is the block of the largest horizontal type that says the most.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from .furniture import HEADER, PAGE_NUMBER_AT_END, PAGE_NUMBER_AT_START
from .headings import in_scaled_figure, reads_as_table_row
from .lines import DocumentStyle, TextLine

TITLE = "title"
_MIN_FACTOR = 1.2  # the title is set clearly larger than the body
_NEAR_TOP = 0.7  # a group in type this share of the largest still competes for the title
_NOT_TITLE = re.compile(r"www\.|https?:|@|\bdoi\b", re.I)
_MAX_LINES = 4
_RUNNING_WORDS = 6  # a line of this many words is running text
_MAX_WORDS_PER_LINE = 15  # large type fits few words on a line; more is running text
# The title comes before the running text: a large line below a few lines of body text is a
# table's head or a display formula.
_MAX_RUNNING_ABOVE = 3


def mark_title(lines: list[TextLine], style: DocumentStyle, page_height: float) -> None:
    """Tag the first page's title lines in place (`line.tags`)."""
    # Larger than the first page's own text too: a page set in larger type than the rest of
    # the document (an excerpt that starts mid-paper) has no title above its running text.
    # And larger than the running text where the title would be: an excerpt's proof set in
    # 12pt above its 10pt references is no title.
    upper = [ln for ln in lines if ln.y0 < page_height * 0.5 and len(ln.words) >= _RUNNING_WORDS]
    floor = max(style.body_size, _page_body_size(lines), _page_body_size(upper)) * _MIN_FACTOR
    candidates = sorted(
        (
            ln
            for ln in lines
            if not ln.tags
            and ln.y0 < page_height * 0.5
            and ln.width > 2 * ln.height  # horizontal: text set sideways is a banner
            and sum(c.isalpha() for c in ln.text) >= 0.7 * len(ln.text.replace(" ", ""))
            and 2 <= len(ln.words) <= _MAX_WORDS_PER_LINE
            and ln.size >= floor
            and not _NOT_TITLE.search(ln.text)
            and not reads_as_table_row(ln.text)
            and not in_scaled_figure(ln)
            and _running_lines_above(lines, ln, style) < _MAX_RUNNING_ABOVE
        ),
        key=lambda ln: ln.y0,
    )
    if not candidates:
        _title_from_running_head(lines, page_height)
        return
    top_size = max(ln.size for ln in candidates)
    groups = _groups(
        [ln for ln in candidates if ln.size >= top_size * _NEAR_TOP], top_size=top_size
    )
    if not any(_says_enough(g) for g in groups):
        # All the largest type says is a word or two (a logo in a teaser figure, far larger
        # than the title): the title is the largest type that says more.
        groups = _groups(candidates, top_size=top_size)
    # The largest type, unless all it says is a banner of a word or two ("Research Article");
    # between groups in the same type, the one that says more.
    title = max(
        groups,
        key=lambda g: (
            _says_enough(g),
            g[0].size >= top_size - 0.6,
            sum(len(ln.text) for ln in g),
        ),
    )
    for line in title:
        line.tags.add(TITLE)


def _says_enough(group: list[TextLine]) -> bool:
    return sum(len(ln.words) for ln in group) >= 3


# A running head that names the venue, the authors or the issue says nothing of the paper: no
# title is better than the journal's name.
_VENUE = re.compile(
    r"\b(journal|proceedings|proc\.|conference|symposium|workshop|transactions|letters|"
    r"annals|bulletin|magazine|press|society|university|vol\.?|volume|issue|no\.|pp\.|"
    r"arxiv|preprint|draft|manuscript|copyright|issn|isbn|et\s+al|page|chapter|section|"
    r"supplementary|appendix)\b|©|\(c\)|\b[A-Z]\.\s|\d|[,;]\s*$",
    re.I,
)
_MIN_TITLE_WORDS = 3


def _title_from_running_head(lines: list[TextLine], page_height: float) -> None:
    """A first page without a title of its own (an excerpt that starts mid-paper) may carry the
    paper's title as its running head: that head, its page number taken off, is the title."""
    heads = sorted(
        (ln for ln in lines if ln.tags == {HEADER} and ln.y1 < page_height * 0.5),
        key=lambda ln: ln.y0,
    )
    for head in heads:
        m = PAGE_NUMBER_AT_END.match(head.text) or PAGE_NUMBER_AT_START.match(head.text)
        text = m["head"] if m else head.text
        if _names_the_paper(text):
            _drop_page_number(head, text)
            head.tags = {TITLE}
            return


def _names_the_paper(text: str) -> bool:
    """A running head that reads as a paper's title: several words of prose, no venue, issue,
    author initials or "et al.", no number left (a year, a volume)."""
    words = re.findall(r"[A-Za-z][A-Za-z'’-]*", text)
    if len(words) < _MIN_TITLE_WORDS or _VENUE.search(text) or _NOT_TITLE.search(text):
        return False
    # "Smith and Jones", "SMITH, JONES AND LEE": authors' names are all capitalised words
    # around "and"; a title has words of its own ("for", "of", lowercase or not).
    names_only = all(w[0].isupper() or w.lower() == "and" for w in words) and any(
        w.lower() == "and" for w in words
    )
    return not names_only and not reads_as_table_row(text)


def _drop_page_number(line: TextLine, text: str) -> None:
    """Take the page number off `line` (its text and the spans marker renders)."""
    spans = line.output.spans
    number = line.text[len(text) :] if line.text.startswith(text) else line.text[: -len(text)]
    digits = number.strip()
    edge = spans[::-1] if line.text.startswith(text) else spans
    for span in edge:
        stripped = span.text.strip()
        if not stripped:
            continue
        if line.text.startswith(text):
            if stripped.endswith(digits):
                span.text = span.text.rstrip()[: -len(digits)]
        elif stripped.startswith(digits):
            span.text = span.text.lstrip()[len(digits) :]
        break
    line.text = text.strip()


def _running_lines_above(lines: list[TextLine], line: TextLine, style: DocumentStyle) -> int:
    """Lines of running text above `line`: many words, in body type or type below its own."""
    return sum(
        1
        for other in lines
        if other.y1 <= line.y0
        and len(other.words) >= 6
        and (abs(other.size - style.body_size) <= 0.5 or other.size < line.size - 0.6)
    )


def _page_body_size(lines: list[TextLine]) -> float:
    sizes: Counter[float] = Counter()
    for line in lines:
        sizes[round(line.size * 2) / 2] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _groups(lines: list[TextLine], *, top_size: float) -> list[list[TextLine]]:
    """Runs of lines set in one type (size, weight, slant) that follow each other closely."""
    groups: list[list[TextLine]] = []
    for line in lines:
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and line.y0 - last.y1 <= 1.2 * top_size
            and abs(line.size - last.size) <= 0.6
            and (line.bold, line.italic) == (last.bold, last.italic)
            and len(groups[-1]) < _MAX_LINES
        ):
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def merge_title_blocks(blocks: list[Any]) -> None:
    """One title: title lines that reading order put in separate blocks (a short last line
    read as a column of its own) join the first title block."""
    titles = [b for b in blocks if b.title]
    for extra in titles[1:]:
        titles[0].lines.extend(extra.lines)
        blocks.remove(extra)
