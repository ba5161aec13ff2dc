"""Heading detection: which lines are section titles, and at what level.

A heading is short, starts a block, and looks apart from the body text: bold, larger, or in
capitals. A leading section number (1, 2.3.1, IV., A.) gives the level directly; unnumbered
headings take the level of numbered headings set in the same style, else a level ranked by size.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .lines import DocumentStyle, TextLine

# "1", "2.3.1", "1." then a capitalised word; roman numerals "IV." and letters "A." (IEEE style).
_DECIMAL = re.compile(r"^(?P<num>\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+(?P<rest>\S.*)$")
_ROMAN = re.compile(r"^(?P<num>[IVX]{1,5})\.\s+(?P<rest>\S.*)$")
_LETTER = re.compile(r"^(?P<num>[A-H])\.\s+(?P<rest>\S.*)$")
_APPENDIX = re.compile(
    r"^(?:appendix\s+)?(?P<num>[A-H](?:\.\d{1,2}){1,2})\.?\s+(?P<rest>\S.*)$", re.I
)
KNOWN = re.compile(
    r"^(abstract|introduction|background|related work|conclusions?|discussion|results|methods?|"
    r"references|bibliography|acknowledge?ments?|appendix(?:\s+[a-z0-9]+)?|summary|"
    r"literature cited|works cited|keywords|index terms)\b",
    re.I,
)
REFERENCES = re.compile(
    r"^(?:[\dIVX]+\.?\s+)?(references|bibliography|literature cited|works cited)\b", re.I
)
_CAPTION = re.compile(r"^(fig(ure)?|tab(le)?|algorithm|listing)\.?\s*[0-9IVX]+", re.I)
_MAX_WORDS = 14


@dataclass(frozen=True)
class Numbering:
    depth: int  # 1 for "2", 2 for "2.1", ...
    scheme: str  # decimal, roman, letter


def numbering(text: str, *, any_case: bool = False) -> Numbering | None:
    """The section number `text` opens with. The title after it must start with a capital
    letter, unless `any_case` (a decimal number before a lowercase name: "3.1. readData")."""
    if m := _DECIMAL.match(text):
        if not (_starts_word(m["rest"]) or (any_case and re.match(r"[a-z][A-Za-z]", m["rest"]))):
            return None
        return Numbering(depth=m["num"].count(".") + 1, scheme="decimal")
    if m := _ROMAN.match(text):
        return Numbering(depth=1, scheme="roman") if _starts_word(m["rest"]) else None
    if m := _APPENDIX.match(text):
        return (
            Numbering(depth=m["num"].count(".") + 1, scheme="decimal")
            if _starts_word(m["rest"])
            else None
        )
    if m := _LETTER.match(text):
        return Numbering(depth=2, scheme="letter") if _starts_word(m["rest"]) else None
    return None


def _starts_word(rest: str) -> bool:
    return bool(re.match(r"[A-Z][A-Za-z]|[A-Z]\b", rest))


def is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)


def looks_like_heading(line: TextLine, style: DocumentStyle, *, gap_before: bool) -> bool:
    """A line that could be a heading on its own looks (the caller checks its neighbours)."""
    text = line.text
    words = text.split()
    if not words or len(words) > _MAX_WORDS or len(text) > 110:
        return False
    if _CAPTION.match(text) or text[-1] in ",;" or not re.search(r"[A-Za-z]{3}", text):
        return False
    letters = sum(c.isalpha() for c in text)
    if letters < 0.55 * len(text.replace(" ", "")):
        return False
    if text[0].islower():
        return False
    numbered = numbering(text) or (
        # A bold section number before a name in a font of its own, a code name in lowercase
        # ("**3.1.** `readData`").
        line.bold_prefix_chars > 0
        and not line.bold
        and line.font != style.body_font
        and len(words) <= 4
        and numbering(text, any_case=True)
    )
    larger = style.larger(line)
    caps = is_caps(text)
    # Italic type a size above the body, on a line of its own, heads a paragraph-level section
    # ("Data preprocessing" in 12pt italic over 10.9pt text); body-size italics are emphasis.
    italic_head = line.italic and style.larger(line, 1.05) and gap_before
    distinct = line.bold or larger or caps or line.small_caps or italic_head
    if not distinct and numbered and gap_before and len(words) <= 8:
        # A numbered line standing alone, in a font of its own or ending without a sentence
        # stop: section headings set in body type ("2. Structural measures").
        distinct = line.font != style.body_font or not text.endswith(".")
    if not distinct and gap_before and line.font != style.body_font and _known_alone(text):
        # "Acknowledgements" alone in a font of its own: some PDFs name no bold font and report
        # no weight, so the font being another is all that sets the heading apart.
        distinct = True
    if not distinct:
        return False
    if style.smaller(line, 0.85) and not numbered:
        # Small bold text is mostly a label or a table head; end matter set in small type
        # ("Acknowledgments", "AUTHOR CONTRIBUTIONS") still heads a section of its own.
        if not (gap_before and (caps or KNOWN.match(text) or len(words) <= 3)):
            return False
    if text.endswith(".") and not numbered and len(words) > 4:
        return False  # a bold sentence
    # Body-size headings need room above them or a number; larger ones stand out anyway.
    return bool(numbered or larger or gap_before or KNOWN.match(text))


def _known_alone(text: str) -> bool:
    m = KNOWN.match(text)
    return bool(m) and m.end() == len(text.rstrip(".: "))


def style_key(line: TextLine) -> tuple[float, bool, bool]:
    return (round(line.size * 2) / 2, line.bold, is_caps(line.text))


def assign_levels(headings: list[tuple[TextLine, bool]]) -> list[int]:
    """Levels (2 and deeper) for the headings of one document, in order.

    `headings` pairs each heading's first line with whether it is the document title (level 1).
    """
    numbered_levels: dict[tuple, Counter[int]] = {}
    schemes = {n.scheme for line, _ in headings if (n := _number_of(line))}
    for line, is_title in headings:
        if is_title:
            continue
        if n := _number_of(line):
            level = _numbered_level(n, schemes)
            numbered_levels.setdefault(style_key(line), Counter())[level] += 1
    # Styles of unnumbered headings, largest first, ranked after the numbered ones.
    unnumbered_keys = sorted(
        {style_key(line) for line, t in headings if not t and not _number_of(line)}
        - set(numbered_levels),
        key=lambda k: (-k[0], not k[2], not k[1]),
    )
    ranked: dict[tuple, int] = {}
    numbered_by_size = sorted(
        ((k[0], c.most_common(1)[0][0]) for k, c in numbered_levels.items()), reverse=True
    )
    next_level = 2
    for key in unnumbered_keys:
        # An unnumbered style at least as large as a numbered one shares its level.
        same = [lvl for size, lvl in numbered_by_size if key[0] >= size - 0.25]
        if same:
            ranked[key] = min(same)
        else:
            ranked[key] = (
                min(next_level, 4)
                if not numbered_by_size
                else max(lvl for _, lvl in numbered_by_size) + 1
            )
            next_level += 1
    levels = []
    for line, is_title in headings:
        if is_title:
            levels.append(1)
        elif n := _number_of(line):
            levels.append(_numbered_level(n, schemes))
        elif style_key(line) in numbered_levels:
            levels.append(numbered_levels[style_key(line)].most_common(1)[0][0])
        elif KNOWN.match(line.text) and numbered_by_size:
            levels.append(min(lvl for _, lvl in numbered_by_size))
        else:
            levels.append(min(ranked.get(style_key(line), 2), 6))
    return levels


def _number_of(heading: TextLine) -> Numbering | None:
    return numbering(heading.text, any_case=True)


def _numbered_level(n: Numbering, schemes: set[str]) -> int:
    if n.scheme == "letter":
        return 3 if "roman" in schemes else 2
    return min(1 + n.depth, 6)
