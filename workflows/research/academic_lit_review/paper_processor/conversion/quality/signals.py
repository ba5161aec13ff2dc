"""Quality signals of one page: its markdown compared with the PDF's own text layer.

Each signal is a share between 0 and 1, cheap to compute (tokenising and counting; no rendering):

- coverage: share of the text layer's words found in the page's markdown;
- garbage: share of characters that are replacement, private-use or control characters, or
  `(cid:NN)` escapes: what a font without a Unicode map extracts as;
- run_together: share of Latin letters in tokens of 20+ letters: words whose spaces were lost;
- real_words: share of Latin tokens that an English word list knows (pyspellchecker's list);
  None where a page has too few Latin tokens to judge (e.g. Chinese text, a figure page).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

_WORD = re.compile(r"[^\W_]+")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]+")
_CID = re.compile(r"\(cid:\d+\)")
_MARKUP = re.compile(r"[#*_|`>\[\]\\-]")
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")  # marker's <span id=...> anchors, <sup>, <br>
# Control (but not line breaks and tabs), private-use, replacement and lone surrogate characters.
_GARBAGE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\ufffd\U000f0000-\U0010ffff]"
)
_SPACE = re.compile(r"\s")
# Fewer Latin tokens than this, and a page's real-word share says nothing.
_MIN_LATIN_TOKENS = 20
# Latin words this long are lost spaces; genuine words of 20+ letters are very rare.
RUN_TOGETHER_LETTERS = 20


@dataclass(frozen=True)
class TextSignals:
    """What one text (a page's markdown or text layer) says about itself."""

    words: int  # tokens of letters or digits
    chars: int  # non-space characters
    garbage: float
    run_together: float
    real_words: float | None


@cache
def english_frequencies() -> dict[str, int]:
    """pyspellchecker's English word frequency list (a maintained list), lower case."""
    from spellchecker import SpellChecker

    return dict(SpellChecker(language="en", distance=1).word_frequency.dictionary)


def english_words() -> dict[str, int]:
    """The English word list (a mapping: `word in english_words()` is the membership test)."""
    return english_frequencies()


def words(text: str) -> list[str]:
    """Lower-case tokens of letters or digits (any script), as coverage compares them."""
    return _WORD.findall(text.lower())


def measure_text(text: str) -> TextSignals:
    without_cids, cids = _CID.subn("", _TAG.sub(" ", text))
    chars = len(without_cids) - len(_SPACE.findall(without_cids)) + cids
    garbage = (len(_GARBAGE.findall(without_cids)) + cids) / chars if chars else 0.0
    latin = _LATIN.findall(_MARKUP.sub(" ", without_cids))
    letters = sum(map(len, latin))
    long_letters = sum(len(token) for token in latin if len(token) >= RUN_TOGETHER_LETTERS)
    candidates = [token.lower() for token in latin if 2 <= len(token) < RUN_TOGETHER_LETTERS]
    real: float | None = None
    if len(candidates) >= _MIN_LATIN_TOKENS:
        known = english_words()
        real = sum(token in known for token in candidates) / len(candidates)
    return TextSignals(
        words=len(words(without_cids)),
        chars=chars,
        garbage=garbage,
        run_together=long_letters / letters if letters else 0.0,
        real_words=real,
    )


def coverage(reference: str, markdown: str) -> float | None:
    """Share of `reference`'s words (with multiplicity) found in `markdown`; None if it has none."""
    need = Counter(words(reference))
    total = sum(need.values())
    if not total:
        return None
    have = Counter(words(markdown))
    return sum(min(count, have[word]) for word, count in need.items()) / total
