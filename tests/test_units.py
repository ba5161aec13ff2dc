"""Small pure units: identifiers, safe names, body classification, URL safety, the waiting room."""

from __future__ import annotations

import httpx
import pytest

from workflows.research.academic_lit_review.paper_processor.acquisition.safety import check_url
from workflows.research.academic_lit_review.paper_processor.acquisition.validate import (
    classify_head,
    inspect_pdf,
)
from workflows.research.academic_lit_review.paper_processor.conversion.queue import RelevanceQueue
from workflows.research.academic_lit_review.paper_processor.errors import SourceFailed
from workflows.research.academic_lit_review.paper_processor.models import (
    Paper,
    Reason,
    normalize_doi,
)
from workflows.research.academic_lit_review.paper_processor.store import safe_stem
from workflows.research.academic_lit_review.paper_processor.testing.faults import epub_bytes
from workflows.research.academic_lit_review.paper_processor.testing.openweb import challenge_page

from .conftest import SHARED_DATA


@pytest.mark.parametrize(
    "raw",
    [
        "10.1000/ABC",
        "https://doi.org/10.1000/abc",
        "doi: 10.1000/abc",
        "http://dx.doi.org/10.1000/Abc",
    ],
)
def test_doi_spellings_normalise_to_one_key(raw):
    assert normalize_doi(raw) == "10.1000/abc"


@pytest.mark.parametrize("raw", ["", "abc", "10.12/x", "11.1000/x", "10.1000/\x00x"])
def test_malformed_dois_are_rejected(raw):
    with pytest.raises(ValueError):
        normalize_doi(raw)


def test_keys_fall_back_through_identifiers():
    assert Paper(doi="10.1000/X").key() == "doi:10.1000/x"
    assert Paper(doi="10.48550/arXiv.2101.00001").arxiv == "2101.00001"
    assert Paper(arxiv_id="arXiv:2101.00001v2").key() == "arxiv:2101.00001v2"
    assert Paper(pmcid="12345").key() == "pmcid:PMC12345"
    same = Paper(title="Deep  Learning!", year=2015).key()
    assert (
        same == Paper(title="deep learning", year=2015).key() != Paper(title="deep learning").key()
    )
    assert Paper(authors=["Someone"]).key() is None


@pytest.mark.parametrize(
    "key",
    [
        "doi:10.1000/../../etc/passwd",
        "doi:10.1000/a\x00b",
        "doi:10.1/" + "x" * 300,
        "doi:10.1000/ünïcødé-论文",
        'doi:10.1002/(SICI)<>:;|?*"x',
        "doi:.",
    ],
)
def test_safe_stem_is_a_plain_bounded_file_name(key):
    stem = safe_stem(key)
    assert 0 < len(stem) <= 90
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in stem)
    assert not stem.startswith(".")
    assert safe_stem(key) == stem and safe_stem(key + "1") != stem


def test_distinct_keys_never_share_a_stem():
    assert safe_stem("doi:10.1/a<b") != safe_stem("doi:10.1/a>b")


@pytest.mark.parametrize(
    ("head", "content_type", "reason"),
    [
        (b"<!DOCTYPE html><html><body>Article</body></html>", "text/html", "html_page"),
        (b"<html><head><title>Just a moment...</title>", "text/html", "html_challenge"),
        (challenge_page(), "text/html", "html_challenge"),
        (b"PK\x03\x04epub", "application/epub+zip", "unsupported_format"),  # a zip, not an EPUB
        (b"", None, "not_pdf"),
    ],
)
def test_non_pdf_bodies_get_their_own_reason(head, content_type, reason):
    with pytest.raises(SourceFailed) as raised:
        classify_head(head, content_type)
    assert raised.value.reason.value == reason


def test_pdf_header_after_junk_is_accepted():
    assert classify_head(b"junk" * 10 + b"%PDF-1.7\n", "application/octet-stream") == "pdf"


def test_a_broken_pdf_read_after_an_encrypted_one_is_corrupt_not_encrypted():
    """pdfium reports the last error it set: this broken file sets none, so after an encrypted
    PDF its load failure reads "Incorrect password" (order-dependent; found flaky in CI)."""
    malformed = SHARED_DATA / "malformed"
    encrypted = malformed / "py-pdf+pypdf" / "r6-user-password.pdf"
    broken = malformed / "mozilla+pdf.js" / "issue19484_2.pdf"
    if not (encrypted.exists() and broken.exists()):
        pytest.skip(f"shared corpus not present at {malformed}")
    for path, reason in [(encrypted, Reason.ENCRYPTED), (broken, Reason.CORRUPT_PDF)] * 2:
        with pytest.raises(SourceFailed) as failed:
            inspect_pdf(path)
        assert failed.value.reason == reason, (path.name, failed.value)


def test_an_epub_is_recognised_by_its_first_entry():
    assert classify_head(epub_bytes()[:4096], "application/octet-stream") == "epub"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x.pdf",
        "http://localhost/x.pdf",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
        "file:///etc/passwd",
        "ftp://example.org/x",
    ],
)
async def test_internal_and_non_http_urls_are_blocked(url):
    with pytest.raises(SourceFailed) as raised:
        await check_url(httpx.URL(url), allow_private=False)
    assert raised.value.reason.value == "blocked_url"


async def test_loopback_allowed_when_configured():
    await check_url(httpx.URL("http://127.0.0.1:8080/x.pdf"), allow_private=True)


async def test_relevance_queue_orders_by_relevance_then_arrival():
    queue: RelevanceQueue[str] = RelevanceQueue()
    for name, relevance in [("a", None), ("b", 0.5), ("c", 0.9), ("d", 0.5)]:
        queue.put(name, relevance)
    queue.close()
    assert [item async for item in queue] == ["c", "b", "d", "a"]
