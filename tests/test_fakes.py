"""The loopback fakes behave as the paper processor's tests assume."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import httpx
import pypdfium2
import pytest

from workflows.research.academic_lit_review.paper_processor.testing.loopback import (
    aserve_loopback,
    serve_loopback,
)
from workflows.research.academic_lit_review.paper_processor.testing.openweb import (
    OpenWebHost,
    Redirect,
    Respond,
    challenge_page,
)
from workflows.research.academic_lit_review.paper_processor.testing.pdfs import (
    paper_text,
    truncate_pdf,
    write_blank_pdf,
    write_encrypted_pdf,
    write_paper_pdf,
)
from workflows.research.academic_lit_review.paper_processor.testing.retrieve_service import (
    RetrieveService,
)


def _paper(tmp_path: Path, seed: int = 17, pages: int = 3) -> tuple[Path, str, list[str]]:
    title, paragraphs = paper_text(seed)
    path = write_paper_pdf(
        tmp_path / f"paper{seed}.pdf",
        title=title,
        authors=["Ada Lovelace", "Émile Zola \u2013 Jr."],
        paragraphs=paragraphs,
        pages=pages,
        doi=f"10.1234/fake.{seed}",
    )
    return path, title, paragraphs


def _text(pdf: pypdfium2.PdfDocument) -> str:
    return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))


def test_paper_pdf_has_pages_and_extractable_text(tmp_path: Path) -> None:
    path, title, paragraphs = _paper(tmp_path, pages=3)
    pdf = pypdfium2.PdfDocument(path)
    assert len(pdf) == 3
    assert title in pdf[0].get_textpage().get_text_range()
    flat = " ".join(_text(pdf).split())
    for paragraph in paragraphs:
        assert paragraph in flat
    assert "10.1234/fake.17" in flat and "2 Methods" in flat


def test_paper_text_is_deterministic_and_distinct() -> None:
    assert paper_text(5) == paper_text(5)
    title, paragraphs = paper_text(5)
    assert "5" in title and len(set(paragraphs)) == len(paragraphs) >= 3
    assert all("Specimen 5 " in p for p in paragraphs)
    assert paper_text(6)[0] != title


def test_broken_pdfs(tmp_path: Path) -> None:
    path, _, _ = _paper(tmp_path)
    cut = truncate_pdf(path, tmp_path / "cut.pdf", keep_fraction=0.5)
    assert cut.stat().st_size < path.stat().st_size
    enc = write_encrypted_pdf(tmp_path / "enc.pdf", title="Locked Paper")
    with pytest.raises(pypdfium2.PdfiumError):
        pypdfium2.PdfDocument(enc)
    assert len(pypdfium2.PdfDocument(enc, password="secret")) == 1
    blank = pypdfium2.PdfDocument(write_blank_pdf(tmp_path / "blank.pdf", pages=2))
    assert len(blank) == 2 and _text(blank).strip() == ""


def test_open_web_serves_pdf_redirect_and_404(tmp_path: Path) -> None:
    path, _, _ = _paper(tmp_path, pages=2)
    host = OpenWebHost()
    host.add("/papers/a.pdf", Respond(body=path, chunk_size=1024))
    host.add("/x", Redirect(location="/papers/a.pdf"))
    host.add("/blocked", Respond(body=challenge_page(), content_type="text/html", status=403))
    with serve_loopback(host.app) as base, httpx.Client(base_url=base) as client:
        resp = client.get("/papers/a.pdf")
        assert resp.status_code == 200 and resp.headers["content-type"] == "application/pdf"
        assert resp.content == path.read_bytes()
        assert len(pypdfium2.PdfDocument(resp.content)) == 2

        redirected = client.get("/x", follow_redirects=True)
        assert redirected.status_code == 200 and redirected.content == resp.content
        assert redirected.history[0].status_code == 302

        missing = client.get("/nope")
        assert missing.status_code == 404 and "Not Found" in missing.text
        assert missing.headers["content-type"].startswith("text/html")

        blocked = client.get("/blocked")
        assert blocked.status_code == 403 and "<title>Just a moment...</title>" in blocked.text
        assert "challenge-platform" in blocked.text

    assert [r.status for r in host.requests] == [200, 302, 200, 404, 403]
    assert all(r.finished is not None and r.finished >= r.started for r in host.requests)


def test_open_web_delays_and_concurrency() -> None:
    host = OpenWebHost()
    host.add("/slow", Respond(body=b"x" * 4096, content_type="text/plain", delay_s=0.3))
    host.add(
        "/drip",
        Respond(body=b"y" * 4096, content_type="text/plain", chunk_size=1024, chunk_delay_s=0.1),
    )
    with serve_loopback(host.app) as base:
        with httpx.Client(base_url=base) as client:
            t0 = time.monotonic()
            assert client.get("/slow").content == b"x" * 4096
            assert time.monotonic() - t0 >= 0.3
            t0 = time.monotonic()
            assert client.get("/drip").content == b"y" * 4096
            assert time.monotonic() - t0 >= 0.3  # 3 gaps between 4 chunks

        def fetch() -> None:
            with httpx.Client(base_url=base) as c:
                c.get("/slow")

        threads = [threading.Thread(target=fetch) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert host.max_concurrency == 3
    assert max(r.concurrent_at_start for r in host.records_for("/slow")) == 3


def test_shutdown_is_prompt_with_abandoned_slow_response() -> None:
    host = OpenWebHost()
    host.add(
        "/stall", Respond(body=b"z" * 10, content_type="text/plain", chunk_size=1, chunk_delay_s=5)
    )
    t0 = time.monotonic()
    with serve_loopback(host.app) as base:
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{base}/stall", timeout=0.3)
    assert time.monotonic() - t0 < 5


def _poll_until(
    client: httpx.Client, job_id: str, final: set[str], limit_s: float = 5.0
) -> tuple[dict, list[str]]:
    seen: list[str] = []
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        body = client.get(f"/jobs/{job_id}").json()
        if not seen or seen[-1] != body["status"]:
            seen.append(body["status"])
        if body["status"] in final:
            return body, seen
        time.sleep(0.05)
    raise AssertionError(f"job never finished: {seen}")


def test_retrieve_service_lifecycle(tmp_path: Path) -> None:
    path, _, _ = _paper(tmp_path, seed=3, pages=2)
    svc = RetrieveService()
    svc.hold("10.1/Held", pdf=path, ready_after_s=0.6)
    svc.fail("10.1/blocked", error_code="SOURCE_BLOCKED", error="publisher blocked", after_s=0.2)
    with serve_loopback(svc.app) as base, httpx.Client(base_url=base) as client:
        assert client.get("/health").json() == {"status": "healthy", "vpn_connected": True}
        svc.healthy = False
        assert client.get("/health").status_code == 503
        svc.healthy = True

        request = {
            "doi": "10.1/held",
            "title": "T",
            "authors": ["A"],
            "year": 2020,
            "venue": "V",
            "timeout_seconds": 60,
        }
        submitted = client.post("/retrieve", json=request).json()
        assert submitted["status"] == "pending" and len(submitted["job_id"]) == 32
        job_id = submitted["job_id"]
        assert client.get(f"/jobs/{job_id}/file").status_code == 409
        final, seen = _poll_until(client, job_id, {"completed", "failed"})
        assert seen[0] == "pending" and seen[-1] == "completed"
        assert final == {
            "job_id": job_id,
            "status": "completed",
            "error": None,
            "error_code": None,
            "doi": "10.1/held",
            "file_format": "pdf",
        }
        file = client.get(f"/jobs/{job_id}/file")
        assert file.status_code == 200 and file.headers["content-type"].startswith(
            "application/pdf"
        )
        assert len(pypdfium2.PdfDocument(file.content)) == 2

        failed_id = client.post("/retrieve", json={**request, "doi": "10.1/blocked"}).json()[
            "job_id"
        ]
        final, _ = _poll_until(client, failed_id, {"completed", "failed"})
        assert final["status"] == "failed" and final["error_code"] == "SOURCE_BLOCKED"
        assert client.get(f"/jobs/{failed_id}/file").status_code == 409

        unknown_id = client.post("/retrieve", json={**request, "doi": "10.1/nobody"}).json()[
            "job_id"
        ]
        final, _ = _poll_until(client, unknown_id, {"completed", "failed"})
        assert final["error_code"] == "NOT_FOUND"

        assert client.get("/jobs/deadbeef").status_code == 404
        assert client.get("/jobs/deadbeef").json() == {"detail": "job not found"}
        assert client.get("/jobs/deadbeef/file").status_code == 404

    assert [s["doi"] for s in svc.submissions] == ["10.1/held", "10.1/blocked", "10.1/nobody"]
    assert svc.polls[job_id] >= 2 and svc.downloads[job_id] == 1


def test_serve_from_running_event_loop() -> None:
    host = OpenWebHost()
    host.add("/ok", Respond(body=b"ok", content_type="text/plain"))

    async def main() -> None:
        # Sync variant inside a running loop (uvicorn has its own loop/thread).
        with serve_loopback(host.app) as base:
            async with httpx.AsyncClient() as client:
                assert (await client.get(f"{base}/ok")).text == "ok"
        async with aserve_loopback(host.app) as base:
            async with httpx.AsyncClient() as client:
                assert (await client.get(f"{base}/ok")).text == "ok"

    asyncio.run(main())
