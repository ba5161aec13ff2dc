"""Pseudocode: an algorithm's numbered steps ("1: procedure Expand(q)", "2: for each paper p
do", ..., "17: end while"), kept line by line with their indents.

Papers set algorithms in the body's own faces, so nothing in the type says "listing"; the labels
do: consecutive lines whose labels count up by one at one x. pdftext often returns a label ("5:")
and its step (set further right, indented by the nesting) as two lines of one row; each step is
the row its label opens, read left to right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .columns import Run
from .lines import DocumentStyle, TextLine

_LABEL = re.compile(r"^(\d{1,3}):(?:\s|$)")
_MIN_STEPS = 3  # fewer counted labels are a list or a ratio ("1: 2"), no algorithm
_MAX_PITCH = 3.0  # the next step's label lies at most this many body sizes below
_CHAR_EMS = 0.5  # an average letter of a proportional face is about half an em wide


@dataclass
class Listing:
    """One algorithm's steps: each row's lines (the label's line first) and the row's text."""

    lines: list[TextLine]
    text: str


@dataclass
class Part:
    """A stretch of a column run: an algorithm's steps, or lines to cut into blocks."""

    run: Run
    listing: Listing | None = None


def split_algorithms(run: Run, style: DocumentStyle, glyphs: dict[int, list[dict]]) -> list[Part]:
    """`run` cut into its algorithms' numbered steps and the lines between them, in order."""
    spans = _label_spans(run.lines, style)
    if not spans:
        return [Part(run)]
    parts: list[Part] = []
    taken: set[int] = set()
    for first, last in spans:
        labels = run.lines[first : last + 1]
        top, bottom = labels[0].y0, labels[-1].y1
        left = labels[0].x0 - style.body_size
        members = [
            ln
            for ln in run.lines
            if id(ln) not in taken and top - 1 <= _middle(ln) <= bottom + 1 and ln.x0 >= left
        ]
        rows = _rows(labels, members)
        chosen = {id(ln) for ln in members}
        before = [ln for ln in run.lines[:first] if id(ln) not in taken | chosen]
        if before:
            parts.append(Part(_sub_run(run, before)))
        taken.update(id(ln) for ln in run.lines[: last + 1])
        taken.update(id(ln) for ln in members)
        ordered = [ln for row in rows for ln in row]
        parts.append(
            Part(_sub_run(run, ordered), Listing(ordered, _steps_text(rows, style, glyphs)))
        )
    tail = [ln for ln in run.lines if id(ln) not in taken]
    if tail:
        parts.append(Part(_sub_run(run, tail)))
    return parts


def _label_spans(lines: list[TextLine], style: DocumentStyle) -> list[tuple[int, int]]:
    """Index ranges of lines whose labels count up 1, 2, 3 ... at one x (other lines of a step's
    row, such as its text beside a label set apart, may lie between two labels)."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        start = _number(lines[i])
        if start is None:
            i += 1
            continue
        chain = [i]
        j = i + 1
        while j < len(lines):
            number = _number(lines[j])
            prev = lines[chain[-1]]
            if lines[j].y0 - prev.y0 > _MAX_PITCH * style.body_size:
                break
            if number == start + len(chain) and abs(lines[j].x0 - prev.x0) < style.body_size:
                chain.append(j)
            j += 1
        if len(chain) >= _MIN_STEPS:
            spans.append((chain[0], chain[-1]))
            i = chain[-1] + 1
        else:
            i += 1
    return spans


def _number(line: TextLine) -> int | None:
    match = _LABEL.match(line.text)
    return int(match[1]) if match else None


def _middle(line: TextLine) -> float:
    return (line.y0 + line.y1) / 2


def _rows(labels: list[TextLine], members: list[TextLine]) -> list[list[TextLine]]:
    """Each member line goes with the step whose label's row is nearest its middle."""
    label_rows = [ln for ln in labels if _LABEL.match(ln.text)]
    rows: list[list[TextLine]] = [[ln] for ln in label_rows]
    for line in members:
        if any(line is ln for ln in label_rows):
            continue
        nearest = min(range(len(rows)), key=lambda k: abs(_middle(rows[k][0]) - _middle(line)))
        rows[nearest].append(line)
    return [[row[0], *sorted(row[1:], key=lambda ln: ln.x0)] for row in rows]


def _steps_text(
    rows: list[list[TextLine]], style: DocumentStyle, glyphs: dict[int, list[dict]]
) -> str:
    """One step a line: its label, then its text indented as far as its step is set in from
    the least indented step (in spaces of half an em: the face is not fixed-pitch)."""
    steps: list[tuple[str, str, float]] = []
    for row in rows:
        label = _LABEL.match(row[0].text)
        assert label is not None
        head = row[0].text[label.end() :].strip()
        if head:
            x = _content_x(row[0], len(label[0].strip()), glyphs)
        else:
            x = row[1].x0 if len(row) > 1 else row[0].x1
        text = " ".join(part for part in [head, *(ln.text.strip() for ln in row[1:])] if part)
        steps.append((label[0].strip(), text, x))
    left = min(x for _, _, x in steps)
    width = max(len(label) for label, _, _ in steps)
    char_width = _CHAR_EMS * style.body_size
    return "\n".join(
        f"{label:>{width}} " + " " * round((x - left) / char_width) + text
        for label, text, x in steps
    )


def _content_x(line: TextLine, label_chars: int, glyphs: dict[int, list[dict]]) -> float:
    """Where the step's text starts: the first glyph after the label's, else an estimate from
    the share of the line's letters the label takes."""
    seen = 0
    for span in line.output.spans:
        for char in glyphs.get(span.minimum_position) or []:
            if not char["char"].strip():
                continue
            if seen == label_chars:
                return float(char["bbox"][0])
            seen += 1
    text = line.text
    return line.x0 + line.width * (label_chars + 1) / max(1, len(text))


def _sub_run(run: Run, lines: list[TextLine]) -> Run:
    return Run(lines=lines, left=run.left, right=run.right, spanning=run.spanning)
