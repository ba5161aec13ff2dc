"""Generated HTML pages for the open-web fakes: landing pages and full-text article pages."""

from __future__ import annotations

import html

_FILLER = (
    "The measurements were repeated across sites and seasons, and the estimates were "
    "compared with the published baselines under the same protocol. "
)


def landing_page(title: str, *, pdf_url: str | None = None, abstract: str = "") -> bytes:
    """A publisher landing page: title, abstract, and `citation_pdf_url` when `pdf_url` is given."""
    meta = f'<meta name="citation_title" content="{html.escape(title)}">'
    if pdf_url:
        meta += f'\n<meta name="citation_pdf_url" content="{html.escape(pdf_url)}">'
    body = (
        f"<h1>{html.escape(title)}</h1><h2>Abstract</h2>"
        f"<p>{html.escape(abstract or 'A short abstract of the study.')}</p>"
    )
    return _document(title, meta, body)


def article_page(title: str, paragraphs: list[str], *, words: int = 1800) -> bytes:
    """A full-text article page (as PubMed Central serves one): sections with enough words."""
    sections = ["Introduction", "Methods", "Results", "Discussion"]
    per_section = max(words // len(sections), 1)
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        "<h2>Abstract</h2><p>" + html.escape(paragraphs[0]) + "</p>",
    ]
    for number, name in enumerate(sections):
        text = paragraphs[number % len(paragraphs)] + " "
        filler = _FILLER * (per_section // len(_FILLER.split()) + 1)
        parts.append(f"<h2>{number + 1}. {name}</h2><p>{html.escape(text + filler)}</p>")
    meta = f'<meta name="citation_title" content="{html.escape(title)}">'
    chrome = "<nav><a href='/'>Home</a> <a href='/about'>About</a></nav>"
    return _document(title, meta, f"{chrome}<article>{''.join(parts)}</article>")


def _document(title: str, head: str, body: str) -> bytes:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>{head}</head>\n<body>{body}</body></html>\n"
    ).encode()
