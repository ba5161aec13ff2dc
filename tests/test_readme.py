"""The README stays true: its configuration table is the context schema's, its examples import."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from workflows.research.academic_lit_review.paper_processor.context import configuration_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_configuration_table_matches_the_context_schema():
    assert configuration_table() in README.read_text(encoding="utf-8"), (
        "README's configuration table is stale; regenerate it with "
        "`python -c 'from workflows.research.academic_lit_review.paper_processor.context import "
        "configuration_table; print(configuration_table())'`"
    )


def test_readme_starts_with_the_two_commands():
    text = README.read_text(encoding="utf-8")
    first_commands = [
        line.split("#")[0].strip() for line in text.splitlines() if line.startswith("make ")
    ][:2]
    assert first_commands == ["make demo", "make test"]


def test_readme_imports_work_in_a_fresh_interpreter():
    # Each python example's imports, run where nothing else was imported first: an import that
    # works only after some other module loaded (a lazy package attribute) fails here.
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    imports = [
        line
        for block in blocks
        for line in block.splitlines()
        if line.startswith(("from ", "import "))
    ]
    assert imports, "the README has no python example"
    for line in imports:
        done = subprocess.run(
            [sys.executable, "-c", line],
            cwd=README.parent,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"{line!r} failed:\n{done.stderr[-2000:]}"
