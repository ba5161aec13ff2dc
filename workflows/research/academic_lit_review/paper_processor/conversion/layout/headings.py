"""Heading detection: which lines are section titles, and at what level.

A heading is short, starts a block, and looks apart from the body text: bold, larger, or in
capitals. A leading section number (1, 2.3.1, IV., A.) gives the level directly; unnumbered
headings take the level of numbered headings set in the same style, else a level ranked by size.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from .accents import SPACING_ACCENTS
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
# A front-matter label with its content on the same line ("Keywords: AHP, Bespoke, Model",
# "Index Terms—parsing, tables"): a paragraph, where "Keywords" alone heads a section.
_LABEL_AND_CONTENT = re.compile(
    r"^(keywords|key\s*words|index terms|general terms|subjects?|categories|"
    r"jel(?: classification)?|msc(?: \d{4})?|pacs)\s*[:—–.-]\s*\S",
    re.I,
)
# A formula or a call set on a line of its own ("Likert ∼ Topic + Global + (1|Participant)",
# "PartitionedVarPro(model, Θ)"): two operators between spaces, or a name and its arguments.
_FORMULA = re.compile(r"(?:\s[+=∼~<>≤≥×|]\s.*){2}")
_CALL = re.compile(r"^[A-Za-z_][\w.]*\([^()]*,[^()]*\)$")
# Run-in headings that open a section of the paper's own rather than a paragraph of a section
# ("Abstract. We study ...", "Acknowledgments. We thank ..."); "Results." is a paragraph's.
TOP_RUN_IN = re.compile(r"^(abstract|acknowledge?ments?)\b", re.I)
_FRAME = re.compile(
    r"^(abstract|acknowledge?ments?|references|bibliography|literature cited|works cited|"
    r"appendix(?:\s+[a-z0-9]+)?)\W*$",
    re.I,
)
REFERENCES = re.compile(
    r"^(?:[\dIVX]+\.?\s+)?(references|bibliography|literature cited|works cited)\b", re.I
)
_CAPTION = re.compile(r"^(fig(ure)?|tab(le)?|algorithm|listing)\.?\s*[0-9IVX]+", re.I)
# A stop or colon inside the line with words after it: a sentence goes on ("2. Extractor: The
# Extractor makes a", "E. Agichtein. 2006. Confidence"), where a heading ends.
_INNER_SENTENCE = re.compile(r"\w[\w)]*[.:]\s+(?:\S+\s+)+\S")
_MAX_WORDS = 14
# What no section is named: an address (a URL, an e-mail, a DOI).
_NO_NAME = re.compile(r"https?://|www\.|\S@\S|\bdoi:", re.I)
_ALGORITHM_STEP = re.compile(r"^\d{1,3}:\s")  # "17: end while"
_LABEL_SIZE = 0.6  # type this share of the body's size or less labels a figure
_SCALED = 0.55  # box height to type size below which text was drawn scaled down
_SIZE_ALONE = 1.2  # how much larger than the body a heading in regular type is set
_CLEARLY_LARGER = 1.15  # a heading style this much larger than another is set a level up


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
    if _NO_NAME.search(text) or _ALGORITHM_STEP.match(text):
        return False  # a footnote's link ("6 https://arxiv.org/"), a numbered step of pseudocode
    if _LABEL_AND_CONTENT.match(text) or _FORMULA.search(text) or _CALL.match(text):
        return False
    if line.size < _LABEL_SIZE * style.body_size:
        return False  # a label inside a figure drawn to scale ("FIDD" in 2pt type)
    letters = sum(c.isalpha() for c in text)
    if letters < 0.55 * len(text.replace(" ", "")):
        return False
    if text[0].islower() or text[0] == "[":
        return False  # a sentence's tail, or a bracketed label or citation key ("[Smi02] A.")
    if re.search(r"[a-z]-$", text) and not (line.bold and not line.bold_prefix_chars):
        return False  # a word broken across lines: running text (a bold title may break so)
    if reads_as_table_row(_after_number(text)) or in_scaled_figure(line):
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
    # "Acknowledgements" alone in a font of its own: some PDFs name no bold font and report no
    # weight, so the font being another is all that sets the heading apart.
    named_apart = gap_before and line.font != style.body_font and _known_alone(text)
    if not (distinct or named_apart):
        return False
    set_apart = numbered or line.bold or caps or line.small_caps or italic_head or named_apart
    if not set_apart and not style.larger(line, _SIZE_ALONE):
        # Set apart by size alone, the step must be clear: a line a point up from the body is
        # a line measured taller (parentheses, a formula), not a heading.
        return False
    whole_line_set_apart = (
        (line.bold and not line.bold_prefix_chars) or larger or caps or line.small_caps
    ) or italic_head
    if not whole_line_set_apart and _INNER_SENTENCE.search(_after_number(text)):
        # Only a label in front is set apart and a sentence follows: a run-in heading (cut
        # off by the caller), a list item or a reference entry that opens with a number.
        return False
    if style.smaller(line, 0.85) and not numbered:
        # Small bold text is mostly a label or a table head; end matter set in small type
        # ("Acknowledgments", "AUTHOR CONTRIBUTIONS") still heads a section of its own.
        if not (gap_before and (caps or KNOWN.match(text) or len(words) <= 3)):
            return False
    if text.endswith(".") and not numbered and len(words) > 4:
        return False  # a bold sentence
    if text.endswith(":") and not numbered:
        return False  # a label that introduces what follows ("Correspondence:", "Query:")
    # Body-size headings need room above them or a number; larger ones stand out anyway.
    return bool(numbered or larger or gap_before or KNOWN.match(text))


def in_scaled_figure(line: TextLine) -> bool:
    """Text drawn at a fraction of its nominal size: labels of a figure scaled into the page
    (15.8pt type in boxes 6pt tall). A line of running text is about as tall as its size."""
    return line.height < _SCALED * line.size


_FUNCTION_WORDS = frozenset("a an and as at by for from in into of on or the to vs with".split())


def reads_as_table_row(text: str) -> bool:
    """A table's head or row rather than a title: measured values ("NE2 OAF 2.9"), codes in
    most cells ("P1 P2 P3 AVG SD"), or a column name repeated ("Recall Precision Recall")."""
    tokens = text.split()
    if not tokens:
        return False
    # A title reads as words: a lowercase word of its own ("Web 2.0 applications") says so.
    if not any(re.fullmatch(r"[a-z]{3,}", t) for t in tokens):
        if any(re.fullmatch(r"[-+±]?\d+[.,]\d+%?", t) for t in tokens):
            return True
        if sum(bool(re.search(r"\d", t)) for t in tokens) > len(tokens) / 3:
            return True
    words = [t.lower() for t in tokens if re.fullmatch(r"[A-Za-z]{4,}", t)]
    repeated = len(words) != len(set(words))
    # A capital letter after the first word labels a cell ("Matrix A Matrix B"), not "a".
    function_words = [t for i, t in enumerate(tokens) if not (i and re.fullmatch("[A-Z]", t))]
    return repeated and not any(t.lower() in _FUNCTION_WORDS for t in function_words)


def _after_number(text: str) -> str:
    return re.sub(r"^(?:[\dIVXA-H]{1,5}(?:\.\d{1,2}){0,3})\.?\s+", "", text)


def continues_heading(last: TextLine, line: TextLine, style: DocumentStyle) -> bool:
    """Whether `line` goes on with the heading whose last line is `last`.

    A heading's second line is set in the same type (size, font, weight, slant, case), close
    below; the paragraph under a heading set in body size starts in the body font.
    """
    return (
        abs(line.size - last.size) < 0.08 * style.body_size
        and line.bold == last.bold
        and line.italic == last.italic
        and line.font == last.font
        and is_caps(line.text) == is_caps(last.text)
        and _gap(last, line, style) <= 1.5
        and len(line.text.split()) <= 10
        and not _CAPTION.match(line.text)
        and not re.match(r"^\d", line.text)
    )


def _gap(a: TextLine, b: TextLine, style: DocumentStyle) -> float:
    pitch = style.line_pitch * max(a.size, b.size) / style.body_size
    return (b.y0 - a.y0) / max(pitch, 1.0)


def _known_alone(text: str) -> bool:
    m = KNOWN.match(text)
    return bool(m) and m.end() == len(text.rstrip(".: "))


_OWN_TYPE = 1.15  # a page whose running text is set this much larger has a type of its own
_RUNNING_WORDS = 6  # lines of this many words are running text, for a page's own type


@contextmanager
def in_page_type(ctx: Any, lines: list[TextLine]) -> Iterator[None]:
    """Lay out one page against its own running text where that is set larger than the
    document's body (a form or datasheet appended in 14pt to a 10pt paper): a heading stands
    apart from the text around it, and on such a page every line is "larger" than the body."""
    sizes: Counter[float] = Counter()
    for line in lines:
        if len(line.words) >= _RUNNING_WORDS:
            sizes[round(line.size * 2) / 2] += len(line.text)
    document = ctx.style
    if sizes:
        size, chars = sizes.most_common(1)[0]
        total = sum(len(ln.text) for ln in lines)
        if size >= document.body_size * _OWN_TYPE and chars >= 0.5 * total:
            fonts = Counter(ln.font for ln in lines if round(ln.size * 2) / 2 == size)
            ctx.style = replace(
                document,
                body_size=size,
                line_pitch=document.line_pitch * size / document.body_size,
                body_font=fonts.most_common(1)[0][0],
            )
    try:
        yield
    finally:
        ctx.style = document


# TeX's accents as separate spacing glyphs before their letter ("Lemaˆıtre", "Schr¨odinger",
# "C´el´erier"), often over a dotless i: one accented letter each, so the text reads and
# searches as written. (The grave accent is left alone: "`" is TeX's opening quote too.)
_SPACING_ACCENTS = SPACING_ACCENTS
# A space may part an accent from a dotless i (which stands for nothing else); before another
# letter it parts words ("students´ abilities" keeps its apostrophe).
_ACCENT_THEN_LETTER = re.compile("([" + "".join(_SPACING_ACCENTS) + "])( ?ı|[A-Za-z])")


def compose_accents(line: TextLine) -> None:
    """Join spacing accents to the letter after them in a line's spans, in place."""
    spans = line.output.spans
    for span, following in zip(spans, [*spans[1:], None], strict=True):
        if (
            following is not None
            and span.text[-1:] in _SPACING_ACCENTS
            and (m := _ACCENT_THEN_LETTER.match(span.text[-1] + following.text))
            and _composed(m) != m[0]
        ):
            # The accent ends one span, its letter opens the next (not a superscript's letter
            # after an accent that belongs to the letter before it: "Rˆ" then "t").
            following.text, span.text = span.text[-1] + following.text, span.text[:-1]
        span.text = _ACCENT_THEN_LETTER.sub(_composed, span.text)
    line.text = _ACCENT_THEN_LETTER.sub(_composed, line.text)


def _composed(m: re.Match[str]) -> str:
    """The accented letter where one exists ("é"); else the text as it was (an acute accent
    standing for an apostrophe, "don´t", is no accent on the "t")."""
    letter = "i" if m[2].strip() == "ı" else m[2]
    composed = unicodedata.normalize("NFC", letter + _SPACING_ACCENTS[m[1]])
    return composed if len(composed) == 1 else m[0]


StyleKey = tuple[float, bool, bool, str]  # size, bold, capitals, font


def style_key(line: TextLine) -> StyleKey:
    # The font without its subset tag ("ABCDEF+Lato-Bold"): one typeface, one style.
    return (round(line.size * 2) / 2, line.bold, is_caps(line.text), line.font.split("+")[-1])


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
        key=_prominence,
    )
    ranked: dict[tuple, int] = {}
    numbered_by_size = sorted(
        ((k[0], c.most_common(1)[0][0]) for k, c in numbered_levels.items()), reverse=True
    )
    top_numbered = min((lvl for c in numbered_levels.values() for lvl in c), default=2)
    next_level = 2
    top = None if numbered_by_size else _top_section_style(headings)
    if top is not None:
        # Without numbers, the style of "Introduction", "Methods", "References" is the top
        # level, and so is any larger one ("Abstract" set a size up); smaller ones rank below.
        for key in unnumbered_keys:
            if _as_prominent(key, top):
                ranked[key] = 2
        next_level = 3
    for key in unnumbered_keys:
        if key in ranked:
            continue
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
        elif _FRAME.match(line.text) and numbered_by_size:
            # The paper's frame (Abstract, Acknowledgements, References, Appendix) sits at the
            # level of its top numbered sections, whatever type it is set in (also where "1" and
            # "2.1" share a style, which then mostly numbers subsections).
            levels.append(top_numbered)
        elif style_key(line) in numbered_levels:
            levels.append(numbered_levels[style_key(line)].most_common(1)[0][0])
        elif KNOWN.match(line.text) and numbered_by_size:
            levels.append(top_numbered)
        elif top is not None and _known_alone(line.text):
            levels.append(2)
        else:
            levels.append(min(ranked.get(style_key(line), 2), 6))
    return levels


def _prominence(key: StyleKey) -> tuple[float, bool, bool, str]:
    """Sort key of a heading style, most prominent first: larger, then capitals, then bold."""
    return (-key[0], not key[2], not key[1], key[3])


def _as_prominent(key: StyleKey, top: StyleKey) -> bool:
    """A style set clearly larger than `top`, or about as large, in the same typeface and as
    emphatic (capitals, bold). Sizes closer than `_CLEARLY_LARGER` (half-point keys) are the
    same type measured differently (capitals have no descenders); a typeface of its own at
    that size marks another level (sections in Helvetica Bold, subsections in Minion Bold)."""
    if key[0] > top[0] * _CLEARLY_LARGER:
        return True
    return (
        key[0] >= top[0] / _CLEARLY_LARGER
        and key[3] == top[3]
        and (key[2], key[1]) >= (top[2], top[1])
    )


def _top_section_style(headings: list[tuple[TextLine, bool]]) -> StyleKey | None:
    """The style most of the document's named top sections are set in, where two or more
    are ("INTRODUCTION", "DISCUSSION", "REFERENCES" in bold capitals)."""
    counts = Counter(
        style_key(line) for line, is_title in headings if not is_title and _known_alone(line.text)
    )
    if not counts:
        return None
    key, n = counts.most_common(1)[0]
    return key if n >= 2 else None


def run_in_level(text: str, section_level: int) -> int:
    """The level of a run-in heading: its number's ("4.2. Runtime ..." is a level-3 section
    however it is set), the paper's frame at the top ("Abstract. We ..."), else one below the
    section it opens a paragraph of."""
    if m := _DECIMAL.match(text):  # whatever follows the number ("1.2. *k*-means")
        return min(m["num"].count(".") + 2, 6)
    if TOP_RUN_IN.match(text):
        return 2
    return min(section_level + 1, 6)


def _number_of(heading: TextLine) -> Numbering | None:
    return numbering(heading.text, any_case=True)


def _numbered_level(n: Numbering, schemes: set[str]) -> int:
    if n.scheme == "letter":
        return 3 if "roman" in schemes else 2
    return min(1 + n.depth, 6)
