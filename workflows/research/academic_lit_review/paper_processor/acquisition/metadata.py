"""Paper metadata for bare DOIs (the CLI's `--doi`), from the configured OpenAlex.

Title, authors, year and venue let the right-paper check and retrieve-academic do their work;
a DOI that OpenAlex does not know still goes in, with a note, and the graph's routes try it.
"""

from __future__ import annotations

from typing import Any

import httpx

from ..context import Context
from .resolvers import ResolverConfig, openalex_url

LOOKUP_TIMEOUT_S = 15.0


def paper_from_openalex(doi: str, work: dict[str, Any]) -> dict[str, Any]:
    """An input paper from an OpenAlex work record."""
    source = ((work.get("primary_location") or {}).get("source")) or {}
    authors = [
        (a.get("author") or {}).get("display_name")
        for a in work.get("authorships") or []
        if (a.get("author") or {}).get("display_name")
    ]
    paper: dict[str, Any] = {"doi": doi, "title": work.get("title") or work.get("display_name")}
    if authors:
        paper["authors"] = authors
    if work.get("publication_year"):
        paper["year"] = work["publication_year"]
    if source.get("display_name"):
        paper["venue"] = source["display_name"]
    return {k: v for k, v in paper.items() if v is not None}


async def describe_dois(dois: list[str], ctx: Context) -> tuple[list[dict[str, Any]], list[str]]:
    """Papers for `dois`, and one note per DOI whose metadata could not be had."""
    cfg = ResolverConfig.from_context(ctx)
    papers: list[dict[str, Any]] = []
    notes: list[str] = []
    async with httpx.AsyncClient(
        timeout=LOOKUP_TIMEOUT_S, headers={"User-Agent": ctx.user_agent()}, follow_redirects=True
    ) as client:
        for doi in dois:
            try:
                response = await client.get(openalex_url(doi, cfg))
                response.raise_for_status()
                papers.append(paper_from_openalex(doi, response.json()))
            except (httpx.HTTPError, ValueError) as exc:
                reason = (
                    f"HTTP {exc.response.status_code}"
                    if isinstance(exc, httpx.HTTPStatusError)
                    else type(exc).__name__
                )
                notes.append(f"{doi}: no metadata from {cfg.openalex_base} ({reason}); DOI only")
                papers.append({"doi": doi})
    return papers, notes
