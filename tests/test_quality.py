"""The quality stage: every converted page scored and flagged, bad pages repaired.

Real PDFs damaged the way real ones are (fpdf2: a font without a Unicode map, rotated lines
without space characters, a page that is one picture of its text), real marker in text-layer
mode, real OCR (RapidOCR's bundled models), the real graph and artifact store.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.research.academic_lit_review.paper_processor.conversion.quality.pages import (
    join_pages,
    split_pages,
)
from workflows.research.academic_lit_review.paper_processor.conversion.quality.report import (
    improvable,
    merge_reports,
    quality_below,
)
from workflows.research.academic_lit_review.paper_processor.conversion.quality.signals import (
    coverage,
    measure_text,
    words,
)
from workflows.research.academic_lit_review.paper_processor.graph import graph
from workflows.research.academic_lit_review.paper_processor.store import ArtifactStore
from workflows.research.academic_lit_review.paper_processor.testing.degraded_pdfs import (
    write_image_of_text_pdf,
    write_spaceless_pdf,
    write_text_then_photo_pdf,
    write_unmapped_font_pdf,
)
from workflows.research.academic_lit_review.paper_processor.testing.openweb import Respond

from .conftest import run_graph

SENTENCES = [
    "Coral reefs in the northern survey area lost a third of their cover within five years.",
    "Repeated transects show that recovery is slowest where the water is warmest in summer.",
]


def _has_sentences(markdown: str, sentences: list[str] = SENTENCES) -> bool:
    text = " ".join(words(markdown))
    return all(" ".join(words(sentence)) in text for sentence in sentences)


# -- signals, without marker ------------------------------------------------------------------


def test_garbage_counts_control_private_use_replacement_and_cid_escapes() -> None:
    clean = measure_text("A page of ordinary English words that any reader would recognise.")
    assert clean.garbage == 0.0
    soup = measure_text("\x01\x04\x05 \x06\x07 (cid:12)(cid:7) \ue000\ufffd ok")
    assert soup.garbage > 0.8


def test_run_together_and_real_words_tell_lost_spaces_from_prose() -> None:
    prose = " ".join(SENTENCES * 3)
    signals = measure_text(prose)
    assert signals.run_together == 0.0 and signals.real_words is not None
    assert signals.real_words > 0.9
    assert measure_text(prose.replace(" ", "")).run_together > 0.9
    # Shifted letters (what a font with a wrong map extracts as) are not English words.
    shifted = "".join(chr((ord(c) - 97 + 3) % 26 + 97) if c.islower() else c for c in prose)
    assert measure_text(shifted).real_words < 0.3
    # Chinese has no Latin tokens to judge: no verdict rather than a false "garbled".
    assert (
        measure_text("商品的使用价值为商品学和商业成规这种专门的知识提供材料" * 3).real_words
        is None
    )


def test_marker_anchors_do_not_count_as_words() -> None:
    assert measure_text('<span id="page-3-0"></span>Hello world').words == 2


def test_coverage_counts_words_with_multiplicity() -> None:
    assert coverage("the cat and the dog", "the cat and dog") == pytest.approx(0.8)
    assert coverage("", "anything") is None


def test_paginated_markdown_splits_by_page_and_joins_without_markers() -> None:
    dashes = "-" * 48
    markdown = f"\n\n{{4}}{dashes}\n\nPage five.\n\n{{5}}{dashes}\n\n{{6}}{dashes}\n\nPage seven."
    pages = split_pages(markdown, [4, 5, 6])
    assert pages == {4: "Page five.", 5: "", 6: "Page seven."}
    assert join_pages(pages) == "Page five.\n\nPage seven.\n"


def _report(flags: list[str], rungs: list[str], *, repaired_by: str | None = None) -> dict:
    return {
        "score": 0.2,
        "flags": flags,
        "rungs": rungs,
        "pages": [{"page": 0, "score": 0.2, "flags": flags, "repaired_by": repaired_by}],
    }


def test_a_paper_is_improvable_only_by_a_rung_it_lacked_that_fits_its_flags() -> None:
    garbled = _report(["garbled_text"], ["pdf_text"])
    assert improvable(garbled, ["pdf_text", "ocr"])
    assert not improvable(garbled, ["pdf_text"])
    assert not improvable(_report(["garbled_text"], ["pdf_text", "ocr"]), ["pdf_text", "ocr"])
    assert not improvable(_report(["low_coverage"], ["pdf_text"]), ["pdf_text", "ocr"])
    assert not improvable(None, ["pdf_text", "ocr"])


def test_reports_of_page_ranges_merge_in_page_order() -> None:
    first = _report(["garbled_text"], ["pdf_text", "ocr"])
    second = {**_report([], ["pdf_text", "ocr"]), "pages": [{"page": 1, "score": 1.0}]}
    second["pages"][0].update(flags=[], repaired_by=None)
    merged = merge_reports([second, first])
    assert [page["page"] for page in merged["pages"]] == [0, 1]
    assert merged["score"] == pytest.approx(0.6)
    assert merged["flags"] == ["garbled_text"]
    message = quality_below(merged, 0.7)
    assert message is not None and "0.600" in message and "garbled_text" in message
    assert quality_below(merged, 0.0) is None


def test_the_store_keeps_quality_and_withholds_markdown_a_new_rung_could_repair(
    tmp_path: Path,
) -> None:
    workspace = tmp_path / "workspace"
    store = ArtifactStore(workspace)
    markdown = store.temp_path(".md")
    markdown.write_text("glyph soup", encoding="utf-8")
    quality = _report(["garbled_text"], ["pdf_text"])
    import anyio

    anyio.run(
        lambda: store.put_markdown(
            "doi:10.1/x",
            markdown,
            converter="marker",
            mode="text_layer",
            mode_reason="",
            quality=quality,
        )
    )
    store.close()
    same_rungs = ArtifactStore(workspace, rungs=["pdf_text"])
    stored = same_rungs.lookup_sync("doi:10.1/x")
    assert stored is not None and stored.markdown_path is not None
    assert stored.cached_outcome(0, doi=None, title=None)["quality"] == quality
    same_rungs.close()
    with_ocr = ArtifactStore(workspace, rungs=["pdf_text", "ocr"])
    stored = with_ocr.lookup_sync("doi:10.1/x")
    assert stored is not None and stored.markdown_path is None  # converted again
    with_ocr.close()


def test_a_text_layer_in_another_language_is_confirmed_by_its_image_and_kept(
    tmp_path: Path,
) -> None:
    # German has few words an English list knows: the page looks "garbled" by words alone.
    # One OCR reading of the page agrees with its text layer, so marker's text stays.
    from fpdf import FPDF

    from workflows.research.academic_lit_review.paper_processor.conversion.quality.ocr import (
        build_engines,
    )
    from workflows.research.academic_lit_review.paper_processor.conversion.quality.repair import (
        check_and_repair,
    )

    german = (
        "Die Ergebnisse zeigen, dass die Methode unter verschiedenen Bedingungen stabil bleibt"
        " und die Fehlerrate deutlich reduziert. Wir untersuchen die Verteilung der Proben in"
        " drei Regionen und vergleichen sie mit den Messungen aus dem vorigen Jahrzehnt."
    )
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 7, german)
    path = tmp_path / "german.pdf"
    pdf.output(str(path))
    markdown = f"\n\n{{0}}{'-' * 48}\n\n{german}\n"

    repaired, report = check_and_repair(str(path), markdown, [0], ocr=build_engines("auto"))

    [page] = report.pages
    assert page.repaired_by is None and page.flags == [] and page.score >= 0.9, page
    assert repaired.strip() == german
    # Without OCR nothing can confirm it: flagged, and left as it is.
    _unchanged, unconfirmed = check_and_repair(str(path), markdown, [0], ocr=())
    assert unconfirmed.pages[0].flags == ["garbled_text"]
    assert unconfirmed.pages[0].repaired_by is None


def test_a_page_whose_words_ran_together_is_flagged_and_repaired_from_pdfium_text(
    tmp_path: Path,
) -> None:
    # The layout stage recovers word spaces, but a page it leaves as page text (its fallback)
    # comes out as pdftext reads it: the words of this rotated page run together. Rung (a) puts
    # pdfium's spacing back, with no OCR needed.
    from workflows.research.academic_lit_review.paper_processor.conversion.quality.repair import (
        check_and_repair,
    )

    path = write_spaceless_pdf(tmp_path / "spaceless.pdf", SENTENCES)
    run_together = "\n".join("".join(sentence.split()) for sentence in SENTENCES)
    markdown = f"\n\n{{0}}{'-' * 48}\n\n{run_together}\n"

    repaired, report = check_and_repair(str(path), markdown, [0], ocr=())

    [page] = report.pages
    assert "missing_spaces" in page.flags and page.repaired_by == "pdf_text", page
    assert _has_sentences(repaired), repaired
    assert report.flags == [] and report.score >= 0.8, report


# -- real marker, real OCR, the real graph ------------------------------------------------------


@pytest.fixture
def damaged(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "damaged"
    folder.mkdir()
    return {
        "unmapped": write_unmapped_font_pdf(folder / "unmapped.pdf", SENTENCES),
        "spaceless": write_spaceless_pdf(folder / "spaceless.pdf", SENTENCES),
        "image": write_image_of_text_pdf(folder / "image.pdf", SENTENCES),
    }


def _serve(open_web, pdfs: dict[str, Path]) -> list[dict]:
    papers = []
    for name, pdf in pdfs.items():
        open_web.host.add(f"/{name}.pdf", Respond(body=pdf))
        papers.append({"doi": f"10.5555/quality.{name}", "oa_urls": [open_web.url(f"/{name}.pdf")]})
    return papers


@pytest.mark.marker
async def test_damaged_pages_are_flagged_and_repaired_and_clean_ones_left_alone(
    open_web, make_paper, context, damaged
) -> None:
    clean = make_paper(7, pages=2)
    papers = _serve(open_web, {**damaged, "clean": clean.pdf})

    run = await run_graph(
        graph, {"papers": papers}, context=context(converter="marker", marker_mode="text_layer")
    )

    outcomes = dict(zip([*damaged, "clean"], run.output["outcomes"], strict=True))
    # The sideways page whose words pdftext returns one per line, without spaces, needs no
    # repair: the layout stage joins its words into lines and reads them in order.
    expected = {
        "unmapped": ("garbled_text", "ocr"),
        "spaceless": (None, None),
        "image": ("no_text_layer", "ocr"),
    }
    for name, (flag, rung) in expected.items():
        outcome = outcomes[name]
        assert outcome["status"] == "converted", outcome
        [page] = outcome["quality"]["pages"]
        if flag is None:
            assert page["flags"] == [] and page["repaired_by"] is None, (name, page)
        else:
            assert flag in page["flags"] and page["repaired_by"] == rung, (name, page)
        assert outcome["quality"]["flags"] == [] and outcome["quality"]["score"] >= 0.8, name
        assert _has_sentences(outcome["markdown"]), (name, outcome["markdown"])
        assert "----------" not in outcome["markdown"]  # no page markers left
    clean_quality = outcomes["clean"]["quality"]
    assert [p["repaired_by"] for p in clean_quality["pages"]] == [None, None]
    assert clean_quality["flags"] == [] and clean_quality["score"] >= 0.9
    assert clean_quality["rungs"] == ["pdf_text", "ocr"]
    for outcome in outcomes.values():
        assert 0 < outcome["timings"]["quality_s"] < outcome["timings"]["convert_s"]
    converted_events = {e["index"]: e for e in run.stages("converted")}
    assert converted_events[0]["quality"] == outcomes["unmapped"]["quality"]


def _join_pdfs(parts: list[Path], out: Path) -> Path:
    import pypdfium2

    joined = pypdfium2.PdfDocument.new()
    for part in parts:
        source = pypdfium2.PdfDocument(str(part))
        joined.import_pages(source)
        source.close()
    joined.save(str(out))
    joined.close()
    return out


@pytest.mark.marker
async def test_without_ocr_scanned_pages_stay_flagged_fail_min_quality_and_are_redone_with_ocr(
    open_web, make_paper, context, damaged, tmp_path
) -> None:
    text_page = make_paper(3).pdf
    scan = damaged["image"]
    # Half its pages a scan: score 0.5. Two thirds: 0.33, under min_quality 0.4.
    half = _join_pdfs([text_page, scan], tmp_path / "half.pdf")
    mostly = _join_pdfs([text_page, scan, scan], tmp_path / "mostly.pdf")
    papers = _serve(open_web, {"half": half, "mostly": mostly})
    settings = dict(converter="marker", marker_mode="text_layer", min_quality=0.4)

    without_ocr = await run_graph(
        graph, {"papers": papers}, context=context(**settings, ocr_engine="off")
    )
    stored = without_ocr.outcome(0)
    assert stored["status"] == "converted", stored
    assert stored["quality"]["flags"] == ["mostly_image", "no_text_layer"]
    assert stored["quality"]["score"] == pytest.approx(0.5, abs=0.05)
    assert stored["quality"]["rungs"] == ["pdf_text"]
    poor = without_ocr.outcome(1)
    assert (poor["status"], poor["stage"], poor["reason"]) == ("failed", "convert", "low_quality")
    assert "no_text_layer" in poor["message"] and "quality score 0.3" in poor["message"]

    with_ocr = await run_graph(graph, {"papers": papers}, context=context(**settings))
    for outcome in with_ocr.output["outcomes"]:
        assert outcome["status"] == "converted" and not outcome["cached"], outcome
        pages = outcome["quality"]["pages"]
        assert [p["repaired_by"] for p in pages[1:]] == ["ocr"] * (len(pages) - 1)
        assert pages[0]["repaired_by"] is None
        assert _has_sentences(outcome["markdown"])
    store = ArtifactStore(context().workspace)
    try:
        key = f"doi:{papers[0]['doi']}"
        assert store.count("conversion", key) == 2
        assert store.count("download", key) == 1  # the stored PDF was converted again
    finally:
        store.close()


# -- rung (c): full marker for the pages still bad, where an inference server answers ----------


class _FullMarkerPages:
    """Stands in for the worker's full-mode marker (its models need the real server): records
    the pages it is given and answers each with marker's paginated form of `text`."""

    def __init__(self, text: str, *, fail: bool = False) -> None:
        self.text, self.fail, self.asked = text, fail, []

    def __call__(self, pdf_path: str, pages: list[int]) -> str:
        from workflows.research.academic_lit_review.paper_processor.conversion.quality.full_marker import (  # noqa: E501
            FullMarkerFailed,
        )

        self.asked.append(pages)
        if self.fail:
            raise FullMarkerFailed("server went away")
        return "".join(f"\n\n{{{page}}}{'-' * 48}\n\n{self.text}\n" for page in pages)


def _three_pages(tmp_path: Path) -> tuple[Path, str]:
    """A text page, a scan OCR reads, and a photograph with nothing to read: page 2 stays bad."""
    text_page = write_text_then_photo_pdf(tmp_path / "text-photo.pdf", " ".join(SENTENCES))
    scan = write_image_of_text_pdf(tmp_path / "scan.pdf", SENTENCES)
    import pypdfium2

    joined = pypdfium2.PdfDocument.new()
    for part, pages in ((text_page, [0]), (scan, [0]), (text_page, [1])):
        source = pypdfium2.PdfDocument(str(part))
        joined.import_pages(source, pages)
        source.close()
    out = tmp_path / "three.pdf"
    joined.save(str(out))
    joined.close()
    markdown = (
        f"\n\n{{0}}{'-' * 48}\n\n{' '.join(SENTENCES)}\n\n{{1}}{'-' * 48}\n\n{{2}}{'-' * 48}\n"
    )
    return out, markdown


def test_full_marker_gets_only_the_pages_still_bad_after_pdf_text_and_ocr(
    tmp_path: Path, inference_server: str
) -> None:
    from workflows.research.academic_lit_review.paper_processor.conversion.quality.full_marker import (  # noqa: E501
        FullMarker,
    )
    from workflows.research.academic_lit_review.paper_processor.conversion.quality.ocr import (
        build_engines,
    )
    from workflows.research.academic_lit_review.paper_processor.conversion.quality.repair import (
        check_and_repair,
    )

    pdf, markdown = _three_pages(tmp_path)
    caption = "A grey gradient photographed for the survey, shown here as the second figure."
    pages = _FullMarkerPages(caption)

    repaired, report = check_and_repair(
        str(pdf),
        markdown,
        [0, 1, 2],
        ocr=build_engines("tesseract"),
        full_marker=FullMarker(inference_server, pages),
    )

    assert pages.asked == [[2]]  # not the clean page, not the scan OCR read well
    assert [p.repaired_by for p in report.pages] == [None, "ocr", "marker"]
    assert "no_text_layer" in report.pages[2].flags and report.pages[2].score >= 0.9
    assert report.rungs == ["pdf_text", "ocr", "marker"] and report.flags == []
    assert caption in repaired and _has_sentences(repaired)


def test_full_marker_is_skipped_when_the_server_does_not_answer_or_fails(tmp_path: Path) -> None:
    import socket

    from workflows.research.academic_lit_review.paper_processor.conversion.quality.full_marker import (  # noqa: E501
        FullMarker,
    )
    from workflows.research.academic_lit_review.paper_processor.conversion.quality.repair import (
        check_and_repair,
    )

    pdf, markdown = _three_pages(tmp_path)
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        silent = f"http://127.0.0.1:{closed.getsockname()[1]}"
    pages = _FullMarkerPages("unused")
    _markdown, report = check_and_repair(
        str(pdf), markdown, [0, 1, 2], full_marker=FullMarker(silent, pages)
    )
    assert pages.asked == []
    assert [p.repaired_by for p in report.pages] == [None, None, None]
    assert report.flags == ["mostly_image", "no_text_layer"]


def test_a_failing_full_marker_leaves_the_pages_as_they_were(
    tmp_path: Path, inference_server: str
) -> None:
    from workflows.research.academic_lit_review.paper_processor.conversion.quality.full_marker import (  # noqa: E501
        FullMarker,
    )
    from workflows.research.academic_lit_review.paper_processor.conversion.quality.repair import (
        check_and_repair,
    )

    pdf, markdown = _three_pages(tmp_path)
    pages = _FullMarkerPages("unused", fail=True)
    repaired, report = check_and_repair(
        str(pdf), markdown, [0, 1, 2], full_marker=FullMarker(inference_server, pages)
    )
    assert pages.asked == [[1, 2]]  # without OCR the scan is still bad too
    assert [p.repaired_by for p in report.pages] == [None, None, None]
    assert _has_sentences(repaired)  # the text page is kept


def test_a_text_layer_run_keeps_the_configured_server_for_the_full_marker_rung(
    inference_server: str,
) -> None:
    from workflows.research.academic_lit_review.paper_processor.conversion.mode import (
        decide_mode,
    )

    forced = decide_mode("text_layer", inference_server)
    assert (forced.mode, forced.inference_url) == ("text_layer", inference_server)
