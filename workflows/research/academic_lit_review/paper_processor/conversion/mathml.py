"""Presentation MathML to LaTeX, for the formulas of EPUB (and HTML) full texts.

A TeX annotation (`<semantics><annotation encoding="application/x-tex">`) is the author's own
source and wins; otherwise the presentation elements are translated. No maintained Python
library does this (the PyPI candidates are unmaintained one-offs), and the element set is small.
Atoms are joined with spaces, so `4ac` stays three tokens, as in the XHTML it came from.
"""

from __future__ import annotations

from bs4 import NavigableString, Tag

_SYMBOLS = {
    "\u222b": r"\int",
    "\u222c": r"\iint",
    "\u222e": r"\oint",
    "\u2211": r"\sum",
    "\u220f": r"\prod",
    "\u2212": "-",
    "\u00b1": r"\pm",
    "\u2213": r"\mp",
    "\u00d7": r"\times",
    "\u00f7": r"\div",
    "\u22c5": r"\cdot",
    "\u00b7": r"\cdot",
    "\u2264": r"\leq",
    "\u2265": r"\geq",
    "\u2260": r"\neq",
    "\u2248": r"\approx",
    "\u2261": r"\equiv",
    "\u223c": r"\sim",
    "\u221d": r"\propto",
    "\u221e": r"\infty",
    "\u2192": r"\to",
    "\u2190": r"\leftarrow",
    "\u2194": r"\leftrightarrow",
    "\u21d2": r"\Rightarrow",
    "\u21d4": r"\Leftrightarrow",
    "\u2208": r"\in",
    "\u2209": r"\notin",
    "\u2282": r"\subset",
    "\u2286": r"\subseteq",
    "\u222a": r"\cup",
    "\u2229": r"\cap",
    "\u2205": r"\emptyset",
    "\u2202": r"\partial",
    "\u2207": r"\nabla",
    "\u2200": r"\forall",
    "\u2203": r"\exists",
    "\u00ac": r"\neg",
    "\u2227": r"\wedge",
    "\u2228": r"\vee",
    "\u2295": r"\oplus",
    "\u2297": r"\otimes",
    "\u2218": r"\circ",
    "\u221a": r"\surd",
    "\u2026": r"\ldots",
    "\u22ef": r"\cdots",
    "\u2032": "'",
    "\u27e8": r"\langle",
    "\u27e9": r"\rangle",
    "\u2016": r"\|",
    "\u00af": r"\bar{}",
    "\u2192\u0338": r"\not\to",
}
_GREEK = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho"
    " varsigma sigma tau upsilon phi chi psi omega"
).split()
for _offset, _name in enumerate(_GREEK):
    _SYMBOLS[chr(0x3B1 + _offset)] = "o" if _name == "omicron" else f"\\{_name}"
for _letter in "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split():
    _SYMBOLS[chr(0x391 + _GREEK.index(_letter.lower()))] = f"\\{_letter}"
# Function application, invisible times, separator and plus: no visible glyph.
_INVISIBLE = {"\u2061", "\u2062", "\u2063", "\u2064", "\u200b"}
_FUNCTIONS = frozenset(
    "sin cos tan cot sec csc log ln exp lim max min sup inf det dim ker arg deg gcd".split()
)
_ACCENTS = {"^": r"\hat", "~": r"\tilde", "\u00af": r"\overline", "\u2192": r"\vec", ".": r"\dot"}


def local_name(tag: Tag) -> str:
    """The element name without a namespace prefix (`m:math` is `math`)."""
    return tag.name.rsplit(":", 1)[-1]


def mathml_to_latex(math: Tag) -> str:
    """The LaTeX of one `<math>` element, without `$` delimiters."""
    return " ".join(_convert(math).split())


def _children(tag: Tag) -> list[Tag]:
    return [c for c in tag.children if isinstance(c, Tag)]


def _row(tag: Tag) -> str:
    return " ".join(part for part in (_convert(c) for c in _children(tag)) if part)


def _group(tag: Tag | None) -> str:
    return "{" + (_convert(tag) if tag is not None else "") + "}"


def _symbols(text: str) -> str:
    out = []
    for ch in text:
        if ch in _INVISIBLE:
            continue
        out.append(_SYMBOLS.get(ch, ch))
    return " ".join("".join(out).split()) if len(out) > 1 else "".join(out)


def _token(tag: Tag) -> str:
    name = local_name(tag)
    text = " ".join(tag.get_text().split())
    if name == "mi":
        if len(text) > 1:
            if text in _FUNCTIONS:
                return "\\" + text
            return r"\mathrm{" + text + "}"
        return _symbols(text)
    if name == "mtext":
        return r"\text{" + text + "}" if text else ""
    if name == "ms":
        return r'\text{"' + text + '"}'
    return _symbols(text)  # mn, mo


def _script(base: str, sub: str | None, sup: str | None) -> str:
    out = "{" + base + "}" if " " in base else base
    if sub is not None:
        out += "_{" + sub + "}"
    if sup is not None:
        out += "^{" + sup + "}"
    return out


def _convert(node: Tag | NavigableString | None) -> str:  # noqa: C901 - one branch per element
    if node is None:
        return ""
    if isinstance(node, NavigableString):
        return _symbols(str(node).strip())
    name = local_name(node)
    kids = _children(node)
    arg = kids + [None] * 3  # missing operands of malformed MathML become empty groups

    def at(i: int) -> str:
        return _convert(arg[i])

    if name in ("mi", "mn", "mo", "mtext", "ms"):
        return _token(node)
    if name == "semantics":
        for child in kids:
            if local_name(child) == "annotation" and "tex" in str(child.get("encoding", "")):
                return " ".join(child.get_text().split())
        return _convert(kids[0]) if kids else ""
    if name in ("annotation", "annotation-xml", "mprescripts", "none", "mspace", "mphantom"):
        return ""
    if name == "msup":
        return _script(at(0), None, at(1))
    if name == "msub":
        return _script(at(0), at(1), None)
    if name in ("msubsup", "munderover"):
        return _script(at(0), at(1), at(2))
    if name == "munder":
        return _script(at(0), at(1), None)
    if name == "mover":
        accent = " ".join(arg[1].get_text().split()) if arg[1] is not None else ""
        if accent in _ACCENTS:
            return _ACCENTS[accent] + "{" + at(0) + "}"
        return _script(at(0), None, at(1))
    if name == "mfrac":
        return r"\frac" + _group(arg[0]) + _group(arg[1])
    if name == "msqrt":
        return r"\sqrt{" + _row(node) + "}"
    if name == "mroot":
        return r"\sqrt[" + at(1) + "]{" + at(0) + "}"
    if name == "mfenced":
        open_, close = node.get("open", "("), node.get("close", ")")
        sep = node.get("separators", ",").strip()[:1] or ","
        inner = f" {sep} ".join(_convert(c) for c in kids)
        return rf"\left{_symbols(str(open_)) or '.'} {inner} \right{_symbols(str(close)) or '.'}"
    if name == "mtable":
        rows = []
        for row in kids:
            cells = [c for c in _children(row) if local_name(c) == "mtd"]
            if local_name(row) == "mlabeledtr":
                cells = cells[1:]
            rows.append(" & ".join(_row(c) for c in cells))
        return r"\begin{matrix} " + r" \\ ".join(rows) + r" \end{matrix}"
    if name == "menclose":
        return r"\boxed{" + _row(node) + "}"
    if name == "maction":
        return at(0)
    if name == "mmultiscripts":
        return _script(at(0), at(1) or None, at(2) or None)
    # math, mrow, mstyle, mpadded, merror, mlongdiv, mstack and unknown elements: their content.
    return _row(node)
