"""The input papers: a JSON or JSON-lines file, and papers named by DOI.

Only the file's shape is checked here; each paper is validated by the graph, and an invalid one
becomes that paper's failed outcome.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from ..context import Context
from .errors import fail, notice

JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})


def papers_for_dois(raw_dois: tuple[str, ...], ctx: Context) -> list[dict[str, Any]]:
    """Input papers for DOIs given on the command line, described through OpenAlex."""
    from ..acquisition.metadata import describe_dois
    from ..models import normalize_doi

    dois = []
    for raw in raw_dois:
        try:
            dois.append(normalize_doi(raw))
        except ValueError as exc:
            fail(f"--doi {raw!r}: {exc}")
    papers, notes = asyncio.run(describe_dois(dois, ctx))
    for note in notes:
        notice(note)
    return papers


def read_papers(path: Path) -> list[dict[str, Any]]:
    """The papers in a JSON file (a list, or {"papers": [...]}) or a JSON-lines file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except IsADirectoryError:
        fail(f"{path}: is a folder, not a papers file")
    except UnicodeDecodeError as exc:
        fail(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})")
    except OSError as exc:
        fail(f"{path}: cannot read ({exc.strerror or exc})")
    if not text.strip():
        fail(f"{path}: the file is empty (expected a JSON list of papers)")
    if path.suffix.lower() in JSONL_SUFFIXES:
        return _papers_from_json_lines(path, text)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and text.lstrip().startswith("{"):
            return _papers_from_json_lines(path, text)  # JSON lines under a .json name
        fail(f"{path}: not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})")
    return _papers_from_document(path, document)


def _papers_from_json_lines(path: Path, text: str) -> list[dict[str, Any]]:
    papers = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            paper = json.loads(line)
        except json.JSONDecodeError as exc:
            fail(f"{path}: line {number} is not valid JSON (column {exc.colno}: {exc.msg})")
        if not isinstance(paper, dict):
            fail(f"{path}: line {number} is {_kind(paper)}, not a paper object")
        papers.append(paper)
    return papers


def _papers_from_document(path: Path, document: Any) -> list[dict[str, Any]]:
    if isinstance(document, dict):
        if "papers" not in document:
            fail(
                f'{path}: expected a list of papers or an object with a "papers" list,'
                f" got an object with keys {', '.join(sorted(document)[:5]) or 'none'}"
            )
        document = document["papers"]
        where = '"papers"'
    else:
        where = "the file"
    if not isinstance(document, list):
        fail(f"{path}: {where} must be a list of paper objects, not {_kind(document)}")
    for index, paper in enumerate(document):
        if not isinstance(paper, dict):
            fail(f"{path}: paper #{index} is {_kind(paper)}, not an object")
    return document


def _kind(value: Any) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)
