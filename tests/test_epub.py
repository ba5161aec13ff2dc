"""EPUB in, markdown out: real EPUBs from ../shared/data/epub, generated ones for the edge cases,
and the real graph taking EPUBs from an open-access host and from retrieve-academic.

The corpus checks measure against the EPUB itself, not against stored answers: the entries of
its own table of contents must come out as markdown headings (recall >= 0.95), and the words of
the XHTML body text of its spine documents must be in the markdown (>= 0.98).
"""

from __future__ import annotations

import collections
import io
import random
import re
import struct
import time
import zipfile
from pathlib import Path

import anyio
import pytest

from workflows.research.academic_lit_review.paper_processor.acquisition.epub_package import (
    open_epub,
)
from workflows.research.academic_lit_review.paper_processor.acquisition.right_paper import (
    check_identity,
)
from workflows.research.academic_lit_review.paper_processor.conversion.epub import (
    CONVERTER_NAME,
    convert_epub,
)
from workflows.research.academic_lit_review.paper_processor.conversion.epub_nav import read_toc
from workflows.research.academic_lit_review.paper_processor.errors import SourceFailed
from workflows.research.academic_lit_review.paper_processor.graph import graph
from workflows.research.academic_lit_review.paper_processor.testing.epubs import (
    Chapter,
    EpubOptions,
    SpineImage,
    body_text,
    build_epub,
    paper_epub,
)
from workflows.research.academic_lit_review.paper_processor.testing.openweb import (
    Respond,
    html_page,
)

from .conftest import SHARED_DATA, run_graph

EPUB_DIR = SHARED_DATA / "epub"
CORPUS = sorted(p.name for p in EPUB_DIR.glob("*.epub")) if EPUB_DIR.is_dir() else []
CAP = 512 << 20
MiB = 1 << 20


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def norm(text: str) -> str:
    return " ".join(words(text))


def markdown_headings(md: str) -> list[str]:
    return [norm(line.lstrip("#")) for line in md.splitlines() if re.match(r"^#{1,6}\s+\S", line)]


def convert(data: bytes, tmp_path: Path, *, cap: int = CAP):
    path = tmp_path / "book.epub"
    path.write_bytes(data)
    return convert_epub(path, max_unpacked_bytes=cap)


def reason_of(data: bytes, tmp_path: Path, *, cap: int = CAP) -> str:
    with pytest.raises(SourceFailed) as failed:
        convert(data, tmp_path, cap=cap)
    return failed.value.reason.value


# --- the corpus -------------------------------------------------------------------------------
@pytest.mark.skipif(not CORPUS, reason=f"no EPUB corpus at {EPUB_DIR} (../shared/data/epub)")
@pytest.mark.parametrize("name", CORPUS or ["none"])
def test_corpus_epub_keeps_its_table_of_contents_and_its_words(name):
    path = EPUB_DIR / name
    started = time.perf_counter()
    book = convert_epub(path, max_unpacked_bytes=CAP)
    seconds = time.perf_counter() - started
    md = book.markdown
    with open_epub(path, max_unpacked_bytes=CAP) as archive:
        package = archive.package()
        toc = read_toc(archive, package)
        need = collections.Counter()
        for document in book.documents:
            need.update(words(body_text(archive.read(document.path))))
    gold = [norm(e.label) for e in toc if e.path and e.path != package.nav_path and norm(e.label)]
    heads = markdown_headings(md)
    found = [g for g in gold if any(g in h or (len(h) > 8 and h in g) for h in heads)]
    have = collections.Counter(words(md))
    coverage = sum(min(c, have[w]) for w, c in need.items()) / sum(need.values())
    assert gold, "the EPUB has a table of contents"
    assert len(found) / len(gold) >= 0.95, sorted(set(gold) - set(found))[:10]
    assert coverage >= 0.98, coverage
    assert book.title and len(book.documents) >= 1
    assert seconds < 30


@pytest.mark.skipif(not CORPUS, reason=f"no EPUB corpus at {EPUB_DIR} (../shared/data/epub)")
def test_corpus_notes_become_footnotes_and_mathml_latex():
    poem = convert_epub(EPUB_DIR / "pandoc-wasteland.epub", max_unpacked_bytes=CAP).markdown
    refs = set(re.findall(r"\[\^(\d+)\](?!:)", poem))
    defined = set(re.findall(r"^\[\^(\d+)\]:", poem, re.MULTILINE))
    assert refs and refs == defined  # every reference has its note, every note a reference
    features = convert_epub(EPUB_DIR / "pandoc-features.epub", max_unpacked_bytes=CAP).markdown
    assert "\\frac{" in features and "\\sqrt{" in features and "$$" in features
    assert "<math" not in features and "<mi>" not in features


# --- generated EPUBs: structure -----------------------------------------------------------------
NOTE_BODY = (
    '<h1>Methods</h1><p>We measured it<a epub:type="noteref" href="#n1">1</a> twice.</p>'
    "<p>Inline <math><mfrac><mi>a</mi><mi>b</mi></mfrac></math> and a TeX one"
    ' <math><semantics><mi>x</mi><annotation encoding="application/x-tex">x^2</annotation>'
    "</semantics></math>.</p>"
    "<ul><li>first item</li><li>second item</li></ul>"
    "<table><tr><th>dose</th><th>effect</th></tr><tr><td>10 mg</td><td>none</td></tr></table>"
    '<figure><img src="f.png" alt="a plot"/><figcaption>Figure 1. Effect by dose.</figcaption>'
    "</figure>"
    '<aside epub:type="footnote" id="n1"><p>With a calibrated gauge.</p></aside>'
)


def test_structure_headings_lists_tables_notes_formulas_captions(tmp_path):
    book = convert(
        build_epub(
            "A Study",
            [
                Chapter("c1.xhtml", "Methods", NOTE_BODY),
                Chapter(
                    "c2.xhtml",
                    "Results",
                    '<h1>Results</h1><section id="r1"><h2>Primary</h2><p>It worked.</p>'
                    "<h3>Detail</h3><p>Mostly.</p></section>",
                    (("r1", "Primary"),),
                ),
            ],
        ),
        tmp_path,
    )
    md = book.markdown
    assert [d.path for d in book.documents] == ["OEBPS/c1.xhtml", "OEBPS/c2.xhtml"]
    assert "# Methods" in md.splitlines() and "# Results" in md.splitlines()
    assert "## Primary" in md.splitlines()  # level from the table of contents
    assert "### Detail" in md.splitlines()  # below the last entry the table lists
    assert "We measured it[^1] twice." in md
    assert "[^1]: With a calibrated gauge." in md
    assert "$\\frac{a}{b}$" in md and "$x^2$" in md
    assert "- first item" in md and "- second item" in md
    assert "| dose | effect |" in md and "| 10 mg | none |" in md
    assert "Figure 1. Effect by dose." in md
    assert md.index("# Methods") < md.index("# Results")  # spine order


def test_endnotes_in_another_document_and_in_a_list_are_footnotes(tmp_path):
    chapters = [
        Chapter(
            "c1.xhtml",
            "Text",
            '<h1>Text</h1><p>Claim one<a href="notes.xhtml#e1" epub:type="noteref">'
            '<sup>1</sup></a> and claim two<a href="#fn2" role="doc-noteref">2</a>.</p>'
            '<section epub:type="footnotes"><ol><li id="fn2"><p>Second source.'
            ' <a href="#r2" role="doc-backlink">\u21a9</a></p></li></ol></section>',
        ),
        Chapter(
            "notes.xhtml",
            "Notes",
            '<h1>Notes</h1><aside epub:type="endnote" id="e1"><p>First source.</p></aside>',
        ),
    ]
    md = convert(build_epub("Noted", chapters), tmp_path).markdown
    assert "Claim one[^1] and claim two[^2]." in md
    assert "[^1]: First source." in md and "[^2]: Second source." in md
    assert "\u21a9" not in md


def test_a_chapter_of_an_edited_volume_is_found_by_its_table_of_contents(tmp_path):
    chapters = [
        Chapter(
            f"c{n}.xhtml",
            f"Essay {n}: On topic number {n}",
            f"<h1>Essay {n}</h1>" + "<p>text</p>" * 400,
        )
        for n in range(1, 6)
    ]
    book = convert(build_epub("Collected Essays", chapters), tmp_path)
    assert "On topic number 5" not in book.identity_text()[-6000:]  # far past the first text
    assert check_identity(book.identity_text(), title="On Topic Number 5", doi=None).flag is None


def test_epub2_with_an_ncx_only_takes_levels_from_the_ncx(tmp_path):
    chapters = [
        Chapter("a.xhtml", "Introduction", "<h3>Introduction</h3><p>Opening words.</p>"),
        Chapter(
            "b.xhtml",
            "Body",
            '<h3>Body</h3><div id="x"><h5>Inner part</h5><p>Inner words.</p></div>',
            (("x", "Inner part"),),
        ),
    ]
    md = convert(
        build_epub("Old Book", chapters, EpubOptions(version="2.0", nav=False, ncx=True)), tmp_path
    ).markdown
    lines = md.splitlines()
    assert "# Introduction" in lines and "# Body" in lines and "## Inner part" in lines


def test_toc_targets_inside_or_before_a_heading_find_that_heading(tmp_path):
    body = (
        '<h2><a id="a1"></a>Inside Anchor</h2><p>One.</p>'
        '<a id="a2"></a> <h2>After Anchor</h2><p>Two.</p>'
    )
    chapters = [
        Chapter(
            "c.xhtml",
            "Chapter",
            "<h1>Chapter</h1>" + body,
            (("a1", "Inside Anchor"), ("a2", "After Anchor")),
        )
    ]
    md = convert(build_epub("Anchors", chapters), tmp_path).markdown
    assert md.count("Inside Anchor") == 1 and md.count("After Anchor") == 1
    assert "## Inside Anchor" in md.splitlines() and "## After Anchor" in md.splitlines()


def test_a_converted_book_with_styled_paragraphs_for_headings(tmp_path):
    """What conversion tools write: a prefixed OPF namespace, an NCX only, file names in another
    case than the manifest says, an XHTML 1.1 DOCTYPE with HTML entities, chapter titles as
    styled paragraphs reached through anchors, notes without semantics."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        z.writestr(
            "META-INF/container.xml",
            '<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
            '<rootfiles><rootfile full-path="content.opf"/></rootfiles></container>',
        )
        z.writestr(
            "content.opf",
            '<opf:package xmlns:opf="http://www.idpf.org/2007/opf" version="2.0"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/"><opf:metadata>'
            "<dc:title>Social Theory Today</dc:title><dc:identifier>doi:10.1234/book.5"
            '</dc:identifier></opf:metadata><opf:manifest><opf:item href="Text/Part0001.html"'
            ' id="p1" media-type="application/xhtml+xml"/><opf:item href="toc.ncx" id="ncx"'
            ' media-type="application/x-dtbncx+xml"/></opf:manifest><opf:spine toc="ncx">'
            '<opf:itemref idref="p1"/></opf:spine></opf:package>',
        )
        z.writestr(
            "text/part0001.html",
            '<?xml version="1.0" encoding="utf-8"?><!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN"'
            ' "http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd"><html xmlns="http://www.w3.org/1999/xhtml">'
            '<body><p class="title"><a id="c1"></a>Chapter&nbsp;One: Beginnings</p>'
            "<p>It was the best of&nbsp;times &mdash; the worst.<sup>"
            '<a href="#fn1">1</a></sup></p><div id="c2"><p class="sub">Second Part</p>'
            '<p>More words &amp; text.</p></div><p id="fn1"><a href="#r1">1.</a> A note.</p>'
            "</body></html>",
        )
        z.writestr(
            "toc.ncx",
            '<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/"><navMap><navPoint id="a">'
            "<navLabel><text>Chapter One: Beginnings</text></navLabel>"
            '<content src="Text/Part0001.html#c1"/><navPoint id="b"><navLabel><text>Second Part'
            '</text></navLabel><content src="Text/Part0001.html#c2"/></navPoint></navPoint>'
            "</navMap></ncx>",
        )
    book = convert(out.getvalue(), tmp_path)
    md = book.markdown
    assert book.title == "Social Theory Today" and "doi:10.1234/book.5" in book.identity_text()
    lines = md.splitlines()
    assert "# Chapter One: Beginnings" in lines and "## Second Part" in lines
    assert md.count("Beginnings") == 1 and md.count("Second Part") == 1  # promoted, not repeated
    assert "best of times — the worst." in md and "More words & text." in md
    assert "](#" not in md  # links inside the book lead nowhere in markdown: text only


def test_missing_table_of_contents_keeps_the_documents_own_headings(tmp_path):
    chapters = [Chapter("a.xhtml", "One", "<h2>Chapter One</h2><h3>Part</h3><p>Text here.</p>")]
    book = convert(build_epub("No Nav", chapters, EpubOptions(nav=False, ncx=False)), tmp_path)
    assert book.toc_entries == 0
    assert "## Chapter One" in book.markdown and "### Part" in book.markdown


def test_toc_entry_whose_target_has_no_matching_heading_becomes_one(tmp_path):
    chapters = [
        Chapter("front.xhtml", "Front page", "<p>Only a title page without a heading.</p>"),
        Chapter("c.xhtml", "Chapter 1", "<h1>Something else entirely</h1><p>Words.</p>"),
    ]
    md = convert(build_epub("Book", chapters), tmp_path).markdown
    lines = md.splitlines()
    assert "# Front page" in lines and "# Chapter 1" in lines
    assert "**Something else entirely**" in md  # the document's own heading keeps its words


def test_a_spine_item_that_is_an_image_is_skipped_or_follows_its_fallback(tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    chapters = [
        Chapter("a.xhtml", "First", "<h1>First</h1><p>Before the plate.</p>"),
        Chapter("b.xhtml", "Plate text", "<h1>Plate text</h1><p>Described plate.</p>"),
    ]
    options = EpubOptions(
        images=(SpineImage("plate.png", png), SpineImage("plate2.png", png, fallback="b.xhtml"))
    )
    book = convert(build_epub("Plates", chapters, options), tmp_path)
    assert [d.path for d in book.documents] == ["OEBPS/a.xhtml", "OEBPS/b.xhtml"]
    assert "Before the plate." in book.markdown and "Described plate." in book.markdown


# --- generated EPUBs: hostile and broken files --------------------------------------------------
ONE = [Chapter("a.xhtml", "A", "<h1>A</h1><p>Some text.</p>")]


def test_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    # 64 MiB of zeros deflate to ~64 KiB: a ratio no book has.
    bomb = build_epub("Bomb", ONE, EpubOptions(extra={"OEBPS/zeros.bin": bytes(64 * MiB)}))
    assert len(bomb) < MiB
    started = time.perf_counter()
    assert reason_of(bomb, tmp_path) == "too_large"
    assert time.perf_counter() - started < 1.0


def test_declared_size_over_the_cap_is_refused_without_reading(tmp_path):
    data = bytearray(build_epub("Liar", ONE))
    # Rewrite one central-directory entry to declare 3 GiB: nothing is inflated to find out.
    at = data.rfind(b"PK\x01\x02")
    data[at + 24 : at + 28] = struct.pack("<I", 3 << 30)
    assert reason_of(bytes(data), tmp_path) == "too_large"
    # And the cap itself, on honest sizes.
    long = [Chapter("a.xhtml", "A", "<p>" + "words " * 1000 + "</p>")]
    assert reason_of(build_epub("Big", long), tmp_path, cap=4096) == "too_large"
    assert "words" in convert(build_epub("Big", long), tmp_path, cap=16384).markdown


@pytest.mark.parametrize(
    "options",
    [
        EpubOptions(extra={"../escape.xhtml": b"<html/>"}),
        EpubOptions(extra={"/etc/evil.xhtml": b"<html/>"}),
        EpubOptions(manifest_hrefs=("../../outside.xhtml",)),
    ],
    ids=["entry-dotdot", "entry-absolute", "manifest-href-dotdot"],
)
def test_a_path_escaping_the_root_is_refused(options, tmp_path):
    assert reason_of(build_epub("Escape", ONE, options), tmp_path) == "corrupt_epub"


def test_drm_encrypted_content_is_encrypted_but_font_obfuscation_is_not(tmp_path):
    def encryption(algorithm: str, uri: str) -> bytes:
        return (
            '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container"'
            ' xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
            f'<enc:EncryptionMethod Algorithm="{algorithm}"/><enc:CipherData>'
            f'<enc:CipherReference URI="{uri}"/></enc:CipherData></enc:EncryptedData></encryption>'
        ).encode()

    aes = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
    drm = EpubOptions(extra={"META-INF/encryption.xml": encryption(aes, "OEBPS/a.xhtml")})
    assert reason_of(build_epub("DRM", ONE, drm), tmp_path) == "encrypted"
    adobe = EpubOptions(extra={"META-INF/rights.xml": b"<rights/>"})
    assert reason_of(build_epub("Adobe", ONE, adobe), tmp_path) == "encrypted"
    font = EpubOptions(
        extra={
            "META-INF/encryption.xml": encryption(
                "http://www.idpf.org/2008/embedding", "OEBPS/font.otf"
            )
        }
    )
    assert "Some text." in convert(build_epub("Fonts", ONE, font), tmp_path).markdown


def test_a_password_protected_zip_entry_is_encrypted(tmp_path):
    data = bytearray(build_epub("Locked", ONE))
    at = data.rfind(b"PK\x01\x02")  # the last central-directory entry: set "encrypted"
    data[at + 8] |= 0x1
    assert reason_of(bytes(data), tmp_path) == "encrypted"


def test_hostile_nesting_fails_quickly_instead_of_exhausting_the_stack(tmp_path):
    deep = [Chapter("a.xhtml", "A", "<div>" * 20000 + "<p>x</p>" + "</div>" * 20000)]
    started = time.perf_counter()
    assert reason_of(build_epub("Deep", deep), tmp_path) == "conversion_failed"
    assert time.perf_counter() - started < 5


def test_broken_containers_are_corrupt_epub(tmp_path):
    assert reason_of(build_epub("Late", ONE, EpubOptions(mimetype_first=False)), tmp_path) == (
        "corrupt_epub"
    )
    data = build_epub("Cut", ONE)
    assert reason_of(data[: len(data) // 2], tmp_path) == "corrupt_epub"
    no_text = [Chapter("a.xhtml", "A", "<div> </div>")]
    assert reason_of(build_epub("Blank", no_text, EpubOptions(nav=False)), tmp_path) == (
        "conversion_failed"
    )


@pytest.mark.skipif(not CORPUS, reason=f"no EPUB corpus at {EPUB_DIR} (../shared/data/epub)")
@pytest.mark.filterwarnings("ignore::bs4.XMLParsedAsHTMLWarning")  # damaged XHTML looks like XML
def test_damaged_epubs_fail_as_data_never_as_crashes(tmp_path):
    """Seeded damage to real EPUBs — flipped bytes, cut files, broken markup — ends in a
    converted book or a SourceFailed with a reason, never in another exception."""
    rng = random.Random(20261201)
    sources = [
        (EPUB_DIR / n).read_bytes() for n in ("pandoc-features.epub", "pandoc-wasteland.epub")
    ]
    junk = [
        "<",
        "</",
        "/>",
        "&",
        "<math>",
        "<![CD",
        "<!--",
        '<a href="../../x#y">',
        "<td colspan=x>",
    ]
    reasons = collections.Counter()
    for _ in range(60):
        data = rng.choice(sources)
        if rng.random() < 0.5:
            damaged = bytearray(data)
            for _ in range(rng.randint(1, 6)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            data = bytes(damaged[: rng.randrange(len(damaged) // 2, len(damaged) + 1)])
        else:
            src, buf = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
            with zipfile.ZipFile(buf, "w") as out:
                for info in src.infolist():
                    entry = src.read(info)
                    if info.filename.endswith((".xhtml", ".opf", ".ncx")) and rng.random() < 0.5:
                        text = entry.decode()
                        for _ in range(rng.randint(1, 10)):
                            at = rng.randrange(len(text) + 1)
                            text = text[:at] + rng.choice(junk) + text[at + rng.randint(0, 30) :]
                        entry = text.encode()
                    out.writestr(info, entry)
            data = buf.getvalue()
        try:
            convert(data, tmp_path)
            reasons["converted"] += 1
        except SourceFailed as failed:
            reasons[failed.reason.value] += 1
    assert reasons["converted"] and reasons["corrupt_epub"], reasons


# --- the graph --------------------------------------------------------------------------------
async def test_open_access_epub_and_landing_page_link_convert(open_web, make_paper, context):
    direct, linked, wrong = make_paper(1), make_paper(2), make_paper(3)
    open_web.host.add(
        "/book.epub",
        Respond(
            body=paper_epub(direct.title, direct.paragraphs, doi=direct.doi),
            content_type="application/epub+zip",
        ),
    )
    open_web.host.add(
        "/landing",
        Respond(
            body=html_page(linked.title, '<a href="/files/linked.epub">Download EPUB</a>'),
            content_type="text/html",
        ),
    )
    open_web.host.add(
        "/files/linked.epub", Respond(body=paper_epub(linked.title, linked.paragraphs))
    )
    # An EPUB of another work at this paper's URL is caught like a wrong PDF.
    open_web.host.add("/other.epub", Respond(body=paper_epub("Unrelated Poems Of The Sea", ["x"])))
    papers = [
        {"doi": p.doi, "title": p.title, "oa_urls": [open_web.url(path)]}
        for p, path in ((direct, "/book.epub"), (linked, "/landing"), (wrong, "/other.epub"))
    ]
    ctx = context(html_fulltext=False)
    with anyio.fail_after(60):
        run = await run_graph(graph, {"papers": papers}, context=ctx)
    first, second, third = run.output["outcomes"]
    for outcome, paper in ((first, direct), (second, linked)):
        assert outcome["status"] == "converted", outcome
        assert (outcome["format"], outcome["converter"]) == ("epub", CONVERTER_NAME)
        assert outcome["pages"] == 2  # spine documents
        assert "convert_s" in outcome["timings"]
        md = Path(outcome["markdown_path"]).read_text(encoding="utf-8")
        assert f"# {paper.title}" in md and "## Section 1" in md
        assert all(text in md for text in paper.paragraphs)
    assert second["source_url"].endswith("/files/linked.epub")
    assert (third["status"], third["reason"]) == ("failed", "wrong_paper")
    assert "Unrelated Poems Of The Sea" in third["tried"][0]["detail"]
    # A second run answers from the store, and still says what the text was.
    again = await run_graph(graph, {"papers": papers[:1]}, context=ctx)
    cached = again.output["outcomes"][0]
    assert cached["cached"] and cached["format"] == "epub"


async def test_an_epub_does_not_wait_for_a_busy_converter(open_web, make_paper, context):
    slow, book = make_paper(5, pages=4), make_paper(6)
    open_web.host.add("/slow.pdf", Respond(body=slow.pdf))
    open_web.host.add(
        "/book.epub", Respond(body=paper_epub(book.title, book.paragraphs), delay_s=0.5)
    )
    papers = [
        {"doi": slow.doi, "title": slow.title, "oa_urls": [open_web.url("/slow.pdf")]},
        {"doi": book.doi, "title": book.title, "oa_urls": [open_web.url("/book.epub")]},
    ]
    papers[0]["relevance"], papers[1]["relevance"] = 1.0, 0.1  # the PDF would go first
    # The PDF holds the one converter for 4 x 0.75 s; the EPUB needs none.
    ctx = context(calibrated_seconds_per_page=0.75)
    with anyio.fail_after(60):
        run = await run_graph(graph, {"papers": papers}, context=ctx)
    assert [o["status"] for o in run.output["outcomes"]] == ["converted", "converted"]

    def at(stage: str, index: int) -> float:
        return next(e["received"] for e in run.events if (e["stage"], e["index"]) == (stage, index))

    assert at("converted", 1) - at("downloaded", 1) < 1.0
    assert at("converted", 1) < at("converted", 0)


async def test_retrieve_academic_is_asked_for_pdf_and_epub_and_its_epub_converts(
    retrieve_service, make_paper, context
):
    held = make_paper(4)
    retrieve_service.host.hold(
        held.doi,
        paper_epub(held.title, held.paragraphs),
        ready_after_s=0.2,
        content_type="application/epub+zip",
        file_format="epub",
    )
    assert context().preferred_formats == ["pdf", "epub"]  # the default
    ctx = context(retrieve_url=retrieve_service.base_url, preferred_formats=["epub", "pdf"])
    with anyio.fail_after(60):
        run = await run_graph(
            graph, {"papers": [{"doi": held.doi, "title": held.title}]}, context=ctx
        )
    outcome = run.output["outcomes"][0]
    assert retrieve_service.host.submissions[0]["preferred_formats"] == ["epub", "pdf"]
    assert outcome["status"] == "converted", outcome
    assert (outcome["source"], outcome["format"]) == ("retrieve_academic", "epub")
    assert all(text in outcome["markdown"] for text in held.paragraphs)
