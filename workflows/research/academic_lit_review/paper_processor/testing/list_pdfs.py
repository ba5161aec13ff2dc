"""Generate a three-page paper (fpdf2) whose lists carry no bullets: an appendix list labelled
"[0]", "[1]", ... at one x (one label's text wraps onto a line set under the label), a list of
steps numbered "1.", "2.", "2.1." the same way, and a references
section whose labels each hold several works, one per line. A journal banner runs sideways up
the right margin of every page, set in from the page edge beside the text column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from .typeset import filler, wrap

_PAGE_W, _PAGE_H = 210.0, 297.0
_LEFT = 25.0
_TEXT_W = 145.0  # the text column ends well inside the page; the banner stands beside it
_LINE_H = 4.6
_BODY_PT = 10

BANNER = "JOURNAL10(2008)003"
STEPS = [
    "1. Collect the candidate papers of each query from the search engine results",
    "2. Rank the candidates with the language model in windows of twenty papers that overlap "
    "by ten papers so that each candidate is compared with its neighbours",
    "2.1. Ask for a permutation of the window",
    "2.2. Merge the permutations of the windows",
    "3. Compare the ranking with the judgements of the annotators",
]
LABELLED = [
    "[0] Instruction Distillation Makes Large Language Models Efficient Zero-shot Rankers",
    "[1] Beyond Yes and No: Improving Zero-Shot Rankers via Scoring Fine-Grained Relevance Labels",
    "[2] Large Language Models are Effective Text Rankers with Pairwise Ranking Prompting",
    "[3] Prompting Large Language Models to Generate Dense and Sparse Representations for "
    "Zero-Shot Document Retrieval in Scientific Literature Search Engines",
    "[4] A Setwise Approach for Effective and Highly Efficient Zero-shot Ranking",
]
# Each label's works: the first sits beside the label, the others on lines of their own.
REFERENCES = [
    [
        "Perlmutter S et al, 1997 Astrophys. J. 483 565",
        "Riess A G et al, 1998 Astron. J. 116 1009",
        "Perlmutter S et al, 1999 Astrophys. J. 517 565",
    ],
    [
        "Hinshaw G et al, 2008 Astrophys. J. Suppl. Ser. submitted arXiv:0803.0732",
        "Tegmark M et al, 2006 Phys. Rev. D 74 123507",
    ],
    ["Ehlers J, Geren P and Sachs R K, 1968 J. Math. Phys. 9 1344"],
    [
        "Celerier M N, 2000 Astron. Astrophys. 353 63",
        "van Elst H and Ellis G F R, 1998 Class. Quantum Grav. 15 3545",
        "Alnes H, Amarzguioui M and Gron O, 2006 Phys. Rev. D 73 083519",
    ],
]
_WORDS = (
    "we rank candidate papers for a query by asking a language model which of them answers "
    "it best and compare the ranking with the judgements of expert annotators on each query"
).split()


@dataclass(frozen=True)
class ListPaper:
    path: Path
    banner: str
    steps: list[str]  # each numbered step, expected as a paragraph of its own
    labelled: list[str]  # each labelled item, expected as one list item
    references: list[list[str]]  # the works cited under each label, one item each
    paragraphs: list[str]  # body paragraphs around the lists, expected whole


class _Page:
    def __init__(self, pdf: FPDF) -> None:
        pdf.add_page()
        self.pdf, self.y = pdf, 30.0
        # The banner: sideways up the right margin, beside the text column, on every page.
        pdf.set_font("Helvetica", size=22)
        with pdf.rotation(90, _PAGE_W - 20, 200):
            pdf.text(_PAGE_W - 20, 200, BANNER)

    def _wrap(self, text: str, width: float) -> list[str]:
        return wrap(self.pdf, text, width)

    def line(self, text: str, x: float = _LEFT) -> None:
        self.pdf.set_font("Helvetica", size=_BODY_PT)
        self.pdf.set_xy(x, self.y)
        self.pdf.cell(0, _LINE_H, text)
        self.y += _LINE_H

    def paragraph(self, text: str, indent: float = 5.0) -> None:
        self.pdf.set_font("Helvetica", size=_BODY_PT)
        for number, line in enumerate(self._wrap(text, _TEXT_W - indent)):
            self.line(line, _LEFT + (indent if number == 0 else 0))
        self.y += 2

    def heading(self, text: str) -> None:
        self.y += 4
        self.pdf.set_font("Helvetica", style="B", size=13)
        self.pdf.set_xy(_LEFT, self.y)
        self.pdf.cell(0, 6, text)
        self.y += 9


def write_list_paper(path: str | Path) -> ListPaper:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    paragraphs = [filler(_WORDS, k, 4, length=13) for k in range(4)]

    page = _Page(pdf)
    page.heading("1. Introduction")
    page.paragraph(paragraphs[0])
    page.line("We rank the papers of each query in three steps:")
    for step in STEPS:  # no hanging indent: a wrapped step goes on at its label's x
        for line in page._wrap(step, _TEXT_W):
            page.line(line)
    page.y += 4
    page.paragraph(paragraphs[1])

    page = _Page(pdf)
    page.heading("Appendix A. Example queries")
    page.paragraph(paragraphs[2])
    page.line("Answer Papers:")
    for item in LABELLED:  # no bullets; a wrapped label's text goes on at the label's x
        for line in page._wrap(item, _TEXT_W):
            page.line(line)
    page.y += 4
    page.paragraph(paragraphs[3])

    page = _Page(pdf)
    page.heading("References")
    for number, works in enumerate(REFERENCES, start=1):
        page.line(f"[{number}]", _LEFT)
        page.y -= _LINE_H
        for work in works:  # the label hangs; each work starts a line at the text's x
            page.line(work, _LEFT + 8)
    out = Path(path)
    pdf.output(str(out))
    return ListPaper(
        path=out,
        banner=BANNER,
        steps=STEPS,
        labelled=LABELLED,
        references=REFERENCES,
        paragraphs=paragraphs,
    )
