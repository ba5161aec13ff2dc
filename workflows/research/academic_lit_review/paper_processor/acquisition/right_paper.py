"""Is this PDF the paper we asked for? Compare its first page with the paper's title and DOI.

Open-access links go stale, repositories mix up files and landing pages link to supplements,
so a valid PDF can be another paper. The first page's text layer (pypdfium2, already read by
validation) settles it cheaply:

- the paper's DOI printed on the page: the right paper, whatever the title looks like;
- the title's words found in order on the page: the right paper. Words, not characters: a
  character-level fuzzy match finds "open information extraction from the web" inside a page
  that merely says "open information extraction where the ..."; a word window does not;
- most of the title missing: a wrong paper, unless the page has no text layer (a scan), or the
  title is too short to tell papers apart — those pass with a flag, as does the grey zone
  between the two thresholds.

Measured on the 29 real papers in ../shared/data/papers: every paper finds 100 % of its title;
against the other 28 papers' titles the best is 67 % (a title quoted in another paper's text),
the rest stay under 50 %.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz.distance import LCSseq

from ..errors import SourceFailed
from ..models import Reason

MATCH_AT = 0.8  # share of the title's words found in order: the right paper
MISMATCH_BELOW = 0.6  # below this: a wrong paper
MIN_TITLE_WORDS = 3  # informative words a title needs before a mismatch can be called
MIN_TEXT_CHARS = 20  # fewer letters than this on page 1: a scan without a text layer
# A few extra words may sit inside a printed title: footnote marks, line-wrapped affiliations.
_WINDOW_SLACK = 3
_DOI = re.compile(r"10\.\d{4,9}/[^\s\"<>]+", re.IGNORECASE)
_STOPWORDS = frozenset(
    "a an and are as at by for from in into is of on or the to via with without".split()
)


@dataclass(frozen=True)
class Identity:
    """The verdict on a document that is not rejected: how sure, and a flag when unsure."""

    title_score: float | None
    doi_printed: bool
    flag: str | None  # None when verified; otherwise why it passed unverified


def check_identity(text: str, *, title: str | None, doi: str | None) -> Identity:
    """Judge the first page `text` against the paper; raise SourceFailed(wrong_paper) on a mismatch."""
    if sum(ch.isalpha() for ch in text) < MIN_TEXT_CHARS:
        return Identity(None, False, "unverified_scan: page 1 has no text layer")
    doi_printed = bool(doi) and doi.lower() in printed_dois(text)
    if not title:
        flag = None if doi_printed else "unverified: the paper has no title to compare"
        return Identity(None, doi_printed, flag)
    wanted = words(title)
    score = title_score(wanted, words(text))
    if doi_printed or score >= MATCH_AT:
        return Identity(score, doi_printed, None)
    if sum(1 for w in wanted if w not in _STOPWORDS and len(w) > 2) < MIN_TITLE_WORDS:
        return Identity(score, False, f"unverified: title too short to compare ({score:.0%} found)")
    if score < MISMATCH_BELOW:
        shown = " ".join(text.split())[:80]
        raise SourceFailed(
            Reason.WRONG_PAPER,
            f"only {score:.0%} of the title's words are on page 1, which begins {shown!r}",
        )
    return Identity(score, False, f"unverified: {score:.0%} of the title's words on page 1")


def words(text: str) -> list[str]:
    """Lower-case word tokens, accents folded, line-end hyphenation joined."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    # pdfium marks a soft line-end hyphen as U+FFFE; typeset ones are "-" before a line break.
    text = re.sub(r"[\ufffe\u00ad]\s*", "", text)
    text = re.sub(r"(\w)-\s*[\r\n]+\s*(\w)", r"\1\2", text)
    return re.findall(r"[^\W_]+", text)


def title_score(title_words: list[str], page_words: list[str]) -> float:
    """The largest share of the title's words that one window of the page holds in order."""
    n = len(title_words)
    if n == 0:
        return 0.0
    wanted = set(title_words)
    best = 0
    for start, word in enumerate(page_words):
        if word not in wanted:
            continue  # a best window can always start on a title word
        best = max(
            best, LCSseq.similarity(title_words, page_words[start : start + n + _WINDOW_SLACK])
        )
        if best == n:
            break
    return best / n


def printed_dois(text: str) -> set[str]:
    """DOIs printed on the page, lower-case, trailing punctuation dropped."""
    return {m.group(0).rstrip(".,;:)]}").lower() for m in _DOI.finditer(text)}
