"""Put back spaces an OCR engine lost between English words ("insummer" -> "in summer").

PP-OCR's recogniser reads Latin text well but drops narrow word gaps. A lower-case token that
is no English word is split where it divides into frequent English words (dynamic programming
over pyspellchecker's frequencies, as wordninja does); anything else is left as it was.
"""

from __future__ import annotations

import math
import re
from functools import cache

from .signals import english_frequencies

_CANDIDATE = re.compile(r"(?<![\w-])[a-z]{5,}(?![\w-])")
# Parts must be common words, short ones very common: rare or short parts make false splits
# ("unary" -> "una ry", "arity" -> "ar i ty"). One letter: only "a".
_MIN_PART_FREQUENCY = 1000
_MIN_TWO_LETTER_FREQUENCY = 1_000_000
# Word endings that are words too: "hospitalisation" is not "hospital is at ion".
_SUFFIXES = {"ion", "ions", "ing", "ings", "ed", "er", "ers", "al", "ly", "ity", "ness", "less"}


def respace(text: str) -> str:
    known = english_frequencies()
    log_total = _log_total()
    return _CANDIDATE.sub(
        lambda match: _split(match.group(0), known, log_total) or match.group(0), text
    )


def _common(part: str, frequency: int) -> bool:
    if len(part) == 1:
        return part == "a"
    if part in _SUFFIXES:
        return False
    if len(part) == 2:
        return frequency >= _MIN_TWO_LETTER_FREQUENCY
    return frequency >= _MIN_PART_FREQUENCY


@cache
def _log_total() -> float:
    return math.log(sum(english_frequencies().values()))


def _split(token: str, known: dict[str, int], log_total: float) -> str | None:
    if token in known:
        return None
    # best[i]: (cost, parts) of the cheapest split of token[:i] into frequent words
    best: list[tuple[float, list[str]] | None] = [(0.0, [])] + [None] * len(token)
    for end in range(1, len(token) + 1):
        for start in range(max(0, end - 20), end):
            head = best[start]
            part = token[start:end]
            frequency = known.get(part, 0)
            if head is None or not _common(part, frequency):
                continue
            cost = head[0] + log_total - math.log(frequency)  # -log P(part)
            if best[end] is None or cost < best[end][0]:
                best[end] = (cost, [*head[1], part])
    found = best[len(token)]
    if found is None or len(found[1]) < 2:
        return None
    # Lost gaps sit beside short, very common words ("insummer", "withinternational"); a split
    # without one is likelier a compound the word list lacks ("dataset", "heatmap").
    if not any(known[part] >= _MIN_TWO_LETTER_FREQUENCY for part in found[1]):
        return None
    return " ".join(found[1])
