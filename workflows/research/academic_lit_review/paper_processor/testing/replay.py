"""Replay recorded real HTTP answers from loopback hosts (tests of resolvers and landing pages).

Reads the recordings in ../shared/data/http/: vcrpy cassettes (YAML; bodies kept as sent, so
gzip-encoded ones are binary) and arxiv.py's JSON captures. `replay()` turns one recorded answer
into a `Respond` behaviour for `OpenWebHost`; `rewrite` maps real origins to loopback ones (in
the body and in Location), so links in a recorded answer lead to the test's own hosts. A
rewritten body is encoded again the way it was recorded, so clients still decode gzip.
"""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .openweb import Respond

# Answer headers worth replaying; the rest (dates, CDN ids, cookies) only add noise.
_KEPT_HEADERS = ("content-type", "content-encoding", "location", "retry-after")


@dataclass(frozen=True)
class Recorded:
    """One recorded request and the answer it got."""

    method: str
    url: str
    status: int
    headers: dict[str, str]  # lower-case names, first value
    body: bytes  # as sent on the wire (still gzip-encoded when the header says so)

    @property
    def encoding(self) -> str | None:
        return self.headers.get("content-encoding")

    def text(self) -> str:
        """The body decoded (Content-Encoding undone), as text."""
        return decode_body(self.body, self.encoding).decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.text())


def decode_body(body: bytes, encoding: str | None) -> bytes:
    if encoding in ("gzip", "x-gzip"):
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


def encode_body(body: bytes, encoding: str | None) -> bytes:
    if encoding in ("gzip", "x-gzip"):
        return gzip.compress(body)
    if encoding == "deflate":
        return zlib.compress(body)
    return body


def load_cassette(path: Path) -> list[Recorded]:
    """The interactions of a vcrpy cassette (format version 1)."""
    import yaml  # test-only dependency, imported where it is needed

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    recorded = []
    for interaction in data.get("interactions", []):
        request, response = interaction["request"], interaction["response"]
        body = response.get("body", {})
        raw = body.get("string", b"") if isinstance(body, dict) else body
        headers = {
            name.lower(): (values[0] if isinstance(values, list) else str(values))
            for name, values in (response.get("headers") or {}).items()
        }
        status = response["status"]
        recorded.append(
            Recorded(
                method=request.get("method", "GET"),
                url=request["uri"],
                status=int(status["code"] if isinstance(status, dict) else status),
                headers=headers,
                body=raw if isinstance(raw, bytes) else str(raw or "").encode("utf-8"),
            )
        )
    return recorded


def load_arxiv_capture(path: Path) -> Recorded:
    """One of arxiv.py's JSON captures of the arXiv API ({url, status_code, body})."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return Recorded(
        method="GET",
        url=data["url"],
        status=int(data["status_code"]),
        headers={"content-type": "application/atom+xml"},
        body=data["body"].encode("utf-8"),
    )


def find_recorded(recordings: list[Recorded], url_part: str) -> Recorded:
    """The first recorded answer whose URL contains `url_part`."""
    for recorded in recordings:
        if url_part in recorded.url:
            return recorded
    raise LookupError(f"no recording for {url_part!r}")


def replay(recorded: Recorded, *, rewrite: dict[str, str] | None = None) -> Respond:
    """A behaviour answering like the recording, real origins rewritten to loopback ones."""
    headers = {k: v for k, v in recorded.headers.items() if k in _KEPT_HEADERS}
    content_type = headers.pop("content-type", "application/octet-stream")
    body = recorded.body
    if rewrite:
        plain = decode_body(body, recorded.encoding)
        for real, local in rewrite.items():
            plain = plain.replace(real.encode(), local.encode())
        body = encode_body(plain, recorded.encoding)
        if "location" in headers:
            for real, local in rewrite.items():
                headers["location"] = headers["location"].replace(real, local)
    return Respond(body=body, content_type=content_type, status=recorded.status, headers=headers)


def serve_page(html: bytes, *, rewrite: dict[str, str] | None = None, status: int = 200) -> Respond:
    """A saved HTML page (papis' landing pages), links rewritten like `replay` does."""
    for real, local in (rewrite or {}).items():
        html = html.replace(real.encode(), local.encode())
    return Respond(body=html, content_type="text/html; charset=utf-8", status=status)
