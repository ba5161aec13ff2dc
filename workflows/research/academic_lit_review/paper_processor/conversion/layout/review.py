"""A second look at the headings of the whole document, once every page is laid out.

Some lines look like headings on their own and are no sections of the document: the entries of
a table of contents repeat the section titles that follow (bold, numbered, on lines of their own).
"""

from __future__ import annotations

import re

from .blocks import HEADING, TEXT, Block

_CONTENTS = re.compile(r"^(table of )?contents$", re.I)


def demote_contents_entries(blocks: list[Block]) -> None:
    """Headings after a "Contents" heading on its page whose titles head sections further on
    are the table of contents' entries: text, not sections."""
    for at, block in enumerate(blocks):
        if block.kind != HEADING or not _CONTENTS.match(_words(block.text)):
            continue
        page = _page(block)
        for k in range(at + 1, len(blocks)):
            entry = blocks[k]
            if _page(entry) != page:
                break
            if entry.kind != HEADING:
                continue
            text = _words(entry.text)
            later = {_words(b.text) for b in blocks[k + 1 :] if b.kind == HEADING}
            # An entry may list several short sections on one line ("Acknowledgments Appendix
            # References"): each heads a section further on.
            if text in later or any(len(t) >= 4 and t in text for t in later):
                entry.kind = TEXT


def _page(block: Block) -> int:
    return block.lines[0].output.line.page_id


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))
