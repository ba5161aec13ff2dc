"""`paper-processor run --doi`: bare DOIs described through the configured OpenAlex."""

from __future__ import annotations

import json

from workflows.research.academic_lit_review.paper_processor.testing.openweb import Respond

from .test_cli import _env, run_cli


def test_dois_are_described_by_openalex_and_converted(open_web, make_paper, tmp_path):
    known, unknown = make_paper(1), make_paper(2)
    open_web.host.add("/known.pdf", Respond(body=known.pdf))
    work = {
        "title": known.title,
        "authorships": [{"author": {"display_name": "Ada Lovelace"}}],
        "publication_year": 2021,
        "primary_location": {"source": {"display_name": "Journal of Tests"}},
        "best_oa_location": {"is_oa": True, "pdf_url": open_web.url("/known.pdf")},
    }
    open_web.host.add(
        f"/works/doi:{known.doi}",
        Respond(body=json.dumps(work).encode(), content_type="application/json"),
    )
    env = _env(
        PAPER_PROCESSOR_SOURCE_ORDER='["oa_urls", "openalex"]',
        PAPER_PROCESSOR_OPENALEX_BASE=open_web.base_url,
    )
    out = tmp_path / "out"
    result = run_cli(
        "run",
        "--doi",
        f"https://doi.org/{known.doi}",
        "--doi",
        unknown.doi,
        "--out",
        out,
        "--workspace",
        tmp_path / "ws",
        env=env,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "1 converted, 1 failed"
    assert f"{unknown.doi}: no metadata" in result.stderr
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [(m["doi"], m["status"]) for m in manifest] == [
        (known.doi, "converted"),
        (unknown.doi, "failed"),
    ]
    # The title from OpenAlex reached the outcome (and passed the right-paper check).
    assert manifest[0]["title"] == known.title


def test_a_malformed_doi_is_a_one_line_user_error(tmp_path):
    result = run_cli("run", "--doi", "not-a-doi", "--out", tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "not-a-doi" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_needs_papers_or_dois(tmp_path):
    result = run_cli("run", "--out", tmp_path / "out")
    assert result.returncode == 2 and "--doi" in result.stderr
