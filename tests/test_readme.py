"""The README stays true: its configuration table is the context schema's, field for field."""

from __future__ import annotations

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
