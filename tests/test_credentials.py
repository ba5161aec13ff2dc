"""A retrieve-academic credential reaches the service and nothing else: no log, event or outcome."""

from __future__ import annotations

import json
import logging

from workflows.research.academic_lit_review.paper_processor.graph import graph
from workflows.research.academic_lit_review.paper_processor.testing.loopback import serve_loopback
from workflows.research.academic_lit_review.paper_processor.testing.openweb import Redirect, Respond
from workflows.research.academic_lit_review.paper_processor.testing.retrieve_service import (
    RetrieveService,
)

from .conftest import run_graph

SECRET = "sk-retrieve-7f3a9c-DO-NOT-LEAK"


def require_bearer(app, seen: list[str]):
    """ASGI wrapper: 401 unless the request carries the expected bearer token."""

    async def guarded(scope, receive, send):
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            seen.append(headers.get(b"authorization", b"").decode())
            if headers.get(b"authorization") != f"Bearer {SECRET}".encode():
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send({"type": "http.response.body", "body": b'{"detail":"unauthorized"}'})
                return
        await app(scope, receive, send)

    return guarded


async def test_credential_is_sent_to_the_service_only_and_never_recorded(
    open_web, make_paper, context, caplog
):
    held, failing, open_paper = make_paper(1), make_paper(2), make_paper(3)
    service = RetrieveService()
    service.hold(held.doi, pdf=held.pdf, ready_after_s=0.3)
    service.fail(failing.doi, error_code="VPN_ERROR", error="vpn down")
    open_web.host.add("/open.pdf", Respond(body=open_paper.pdf))
    open_web.host.add("/moved.pdf", Redirect(location="/open.pdf"))
    seen: list[str] = []
    caplog.set_level(logging.DEBUG)
    with serve_loopback(require_bearer(service.app, seen)) as base_url:
        ctx = context(retrieve_url=base_url, retrieve_api_key=SECRET)
        run = await run_graph(
            graph,
            {
                "papers": [
                    {"doi": held.doi, "title": held.title},
                    {"doi": failing.doi, "title": failing.title},
                    {"doi": open_paper.doi, "oa_urls": [open_web.url("/moved.pdf")]},
                ]
            },
            context=ctx,
        )

    assert [o["status"] for o in run.output["outcomes"]] == ["converted", "failed", "converted"]
    assert seen and all(value == f"Bearer {SECRET}" for value in seen)
    # The open-web host never saw the credential.
    assert all(
        "authorization" not in {k.lower() for k in r.headers} for r in open_web.host.requests
    )
    recorded = (
        json.dumps([run.events, run.output], default=str) + caplog.text + repr(ctx) + str(ctx)
    )
    assert SECRET not in recorded
