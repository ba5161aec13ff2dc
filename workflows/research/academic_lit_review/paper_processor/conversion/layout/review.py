"""A second look at the headings of the whole document, once every page is laid out.

Some lines look like headings on their own and are no sections of the document: the entries of
a table of contents repeat the section titles that follow (bold, numbered, on lines of their own).
"""

from __future__ import annotations

import re

from .blocks import HEADING, TEXT, Block

_CONTENTS = re.compile(r"^(table of )?contents$", re.I)


def demote_contents_entries(blocks: list[Block]) -> None:
    """Headings after a "Contents" heading on its page whose titles head sections on later
    pages are the table of contents' entries: text, not sections."""
    for at, block in enumerate(blocks):
        if block.kind != HEADING or not _CONTENTS.match(_words(block.text)):
            continue
        page = _page(block)
        entries = [b for b in blocks[at + 1 :] if _page(b) == page and b.kind == HEADING]
        sections = {
            _words(b.text) for b in blocks[at + 1 :] if _page(b) > page and b.kind == HEADING
        }
        for entry in entries:
            text = _words(entry.text)
            # An entry may list several short sections on one line ("Acknowledgments Appendix
            # References"): each is a section further on.
            if text in sections or any(len(s) >= 4 and s in text for s in sections):
                entry.kind = TEXT


def _page(block: Block) -> int:
    return block.lines[0].output.line.page_id


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))
