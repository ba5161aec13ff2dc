"""The corpus node of the lit-review graph: one record per converted paper, read from its markdown.

A record holds what a reviewer scans first: the title, the section headings, the length in words,
and where the full text came from. Markdown is parsed with markdown-it (rich's own parser), so `#`
inside code, image references and inline HTML do not count as headings or words.

Headings come from the outcome where the converter reported them (`heading_source="outcome"`:
marker lists every heading it rendered, in text-layer mode too), else from the markdown's `#` lines;
markdown from before the text-layer layout stage has none, and its short bold runs stand in
(`heading_source="bold"`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token
from typing_extensions import TypedDict

MAX_BOLD_HEADING_WORDS = 12
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_PARSER = MarkdownIt("commonmark").enable("table")


class CorpusRecord(TypedDict):
    """One converted paper, as the lit review sees it."""

    index: int
    key: str | None
    doi: str | None
    title: str | None
    title_source: Literal["metadata", "markdown", "none"]
    headings: list[str]
    heading_source: Literal["outcome", "markdown", "bold", "none"]
    word_count: int
    source: str | None
    pages: int | None


def _inline_text(inline: Token) -> str:
    """The visible text of an inline token: text and code spans, no images, URLs or HTML."""
    parts: list[str] = []
    for child in inline.children or []:  # an image's alt text is its own children: skipped
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
    return "".join(parts).strip()


def _bold_runs(inline: Token) -> list[str]:
    """The text of each `**...**` run in an inline token."""
    runs: list[str] = []
    current: list[str] | None = None
    for child in inline.children or []:
        if child.type == "strong_open":
            current = []
        elif child.type == "strong_close":
            if current is not None:
                runs.append(" ".join("".join(current).split()))
            current = None
        elif current is not None and child.type in {"text", "code_inline"}:
            current.append(child.content)
        elif current is not None and child.type in {"softbreak", "hardbreak"}:
            current.append(" ")
    return runs


def _fold(text: str) -> str:
    return " ".join(re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold()))


def read_markdown(markdown: str) -> tuple[list[str], list[str], int]:
    """(markdown headings, short bold runs, word count) of a markdown document."""
    tokens = _PARSER.parse(markdown)
    headings: list[str] = []
    bold: list[str] = []
    words = 0
    in_heading = False
    for token in tokens:
        if token.type == "heading_open":
            in_heading = True
        elif token.type == "heading_close":
            in_heading = False
        elif token.type == "inline":
            text = _inline_text(token)
            words += len(_WORD.findall(text))
            if in_heading:
                if text:
                    headings.append(" ".join(text.split()))
            else:
                bold.extend(
                    run
                    for run in _bold_runs(token)
                    if _WORD.search(run) and len(run.split()) <= MAX_BOLD_HEADING_WORDS
                )
        elif token.type in {"fence", "code_block"}:
            words += len(_WORD.findall(token.content))
    return headings, bold, words


def corpus_record(outcome: dict[str, Any]) -> CorpusRecord:
    """The record of one converted paper's outcome (which carries its markdown)."""
    markdown = outcome.get("markdown") or ""
    headings, bold, word_count = read_markdown(markdown)
    metadata_title = (outcome.get("title") or "").strip() or None
    # The converter's own list of headings (level 1 is the document title) beats parsing.
    reported = [h for h in outcome.get("headings") or [] if (h.get("text") or "").strip()]

    title: str | None
    if metadata_title:
        title, title_source = metadata_title, "metadata"
    elif titles := [h["text"] for h in reported if h.get("level") == 1]:
        title, title_source = titles[0], "markdown"
    elif headings:
        title, title_source = headings[0], "markdown"
    else:
        title, title_source = None, "none"

    # The title is not a section: drop headings (or bold runs) that repeat it.
    folded_title = _fold(title) if title else None
    sections = [h for h in headings if _fold(h) != folded_title]
    heading_source: Literal["outcome", "markdown", "bold", "none"] = "markdown"
    if reported:
        sections = [
            " ".join(h["text"].split())
            for h in reported
            if h.get("level") != 1 and _fold(h["text"]) != folded_title
        ]
        heading_source = "outcome"
    elif not headings:
        # Text-layer markdown has no `#` lines; its short bold runs are the PDF's headings.
        sections = [run for run in bold if _fold(run) != folded_title]
        heading_source = "bold"
    if not sections:
        heading_source = "none"

    return CorpusRecord(
        index=outcome["index"],
        key=outcome.get("key"),
        doi=outcome.get("doi"),
        title=title,
        title_source=title_source,
        headings=sections,
        heading_source=heading_source,
        word_count=word_count,
        source=outcome.get("source"),
        pages=outcome.get("pages"),
    )


def build_corpus(state: dict[str, Any]) -> dict[str, list[CorpusRecord]]:
    """Node: one record per converted paper, in input order. Failed papers have no record."""
    return {
        "corpus": [
            corpus_record(outcome)
            for outcome in state.get("outcomes", [])
            if outcome.get("status") == "converted"
        ]
    }
