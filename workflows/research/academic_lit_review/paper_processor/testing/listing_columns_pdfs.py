"""Generate a page (fpdf2) with a full-width code listing in a typewriter font (instructions,
then comments aligned with spaces in a column that crosses the page's middle) and its caption,
above two columns of prose. The left column opens with a paragraph whose first word is lowercase
("i=2.") and runs on into the right column mid-sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from .typeset import wrap

_PAGE_W, _PAGE_H = 210.0, 297.0
_MARGIN = 18.0
_GUTTER = 8.0
_COL_W = (_PAGE_W - 2 * _MARGIN - _GUTTER) / 2
_LINE_H = 4.4

CODE = [
    ("mov edx, ebx(748)", "// load primes from the trace activation record"),
    ("mov edi(0), edx", "// store primes to interpreter stack"),
    ("mov esi, ebx(764)", "// load k from the trace activation record"),
    ("mov edi(8), esi", "// store k to interpreter stack"),
    ("mov edi(16), 0", "// store false to interpreter stack"),
    ("mov eax, edx(4)", "// load object class word for primes"),
    ("and eax, -4", "// mask out object class tag for primes"),
    ("cmp eax, Array", "// test whether primes is an array"),
    ("jne side_exit_1", "// side exit if primes is not an array"),
    ("sub esp, 8", "// bump stack for call alignment convention"),
    ("push false", "// push last argument for call"),
    ("push esi", "// push first argument for call"),
    ("call js_Array_set", "// call function to set array element"),
    ("add esp, 8", "// clean up extra stack space"),
    ("mov ecx, ebx", "// created by register allocator"),
    ("test eax, eax", "// test return value of js_Array_set"),
    ("je side_exit_2", "// side exit if call failed"),
    ("mov esp, ebp", "// restore esp"),
    ("jmp epilog", "// jump to ret statement"),
]
CAPTION = (
    "Figure 4. x86 snippet for sample program. This is the x86 code compiled from the LIR "
    "snippet in Figure 3. Most LIR instructions compile to a single x86 instruction."
)
LEFT = (
    "i=2. This is the first iteration of the outer loop. The loop on lines 4-5 becomes hot on "
    "its second iteration, so the tracer enters recording mode on line 4. In recording mode "
    "the tracer records the code along the trace in a low-level compiler intermediate "
    "representation. The trace also encodes guards, which are checks that verify that the "
    "control flow and types are identical to those observed during trace recording, so that "
    "on later executions the trace has the required program semantics. After recording is "
    "finished, the tracer compiles the trace to native code using the recorded type "
    "information for optimization. The result is a native code fragment that can be entered "
    "if the"
)
RIGHT = (
    "interpreter PC and the types of values match those observed when trace recording was "
    "started. The first trace in our example covers lines 4 and 5, and this trace can be "
    "entered if the program counter is at line 4 and the loop variables are integers."
)


@dataclass(frozen=True)
class ListingOverColumns:
    path: Path
    code: list[str]  # each instruction with its comment
    runs_on: str  # the paragraph from the left column into the right one, expected whole


def write_listing_over_columns(path: str | Path) -> ListingOverColumns:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    y = _MARGIN + 10
    pdf.set_font("Courier", size=9)
    for instruction, comment in CODE:
        # Comments aligned with spaces, as a listing sets them: their column crosses the
        # page's middle.
        pdf.set_xy(_MARGIN + 4, y)
        pdf.cell(0, _LINE_H, f"{instruction:<28}{comment}")
        y += _LINE_H
    y += 6
    pdf.set_font("Times", size=10)
    for line in wrap(pdf, CAPTION, _PAGE_W - 2 * _MARGIN):
        pdf.set_xy(_MARGIN, y)
        pdf.cell(0, _LINE_H, line)
        y += _LINE_H
    y += 8
    left = wrap(pdf, LEFT, _COL_W)
    for number, line in enumerate(left):
        pdf.set_xy(_MARGIN, y + number * _LINE_H)
        pdf.cell(0, _LINE_H, line)
    for number, line in enumerate(wrap(pdf, RIGHT, _COL_W)):
        pdf.set_xy(_MARGIN + _COL_W + _GUTTER, y + number * _LINE_H)
        pdf.cell(0, _LINE_H, line)
    out = Path(path)
    pdf.output(str(out))
    return ListingOverColumns(
        path=out,
        code=[f"{instruction} {comment}" for instruction, comment in CODE],
        runs_on=f"{LEFT} {RIGHT}",
    )
