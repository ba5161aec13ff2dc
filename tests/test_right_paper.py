"""The right-paper check: a valid PDF of another paper fails as wrong_paper; scans pass flagged."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest

from workflows.research.academic_lit_review.paper_processor.acquisition.right_paper import (
    check_identity,
    printed_dois,
)
from workflows.research.academic_lit_review.paper_processor.errors import SourceFailed
from workflows.research.academic_lit_review.paper_processor.graph import graph
from workflows.research.academic_lit_review.paper_processor.testing.openweb import Respond
from workflows.research.academic_lit_review.paper_processor.testing.pdfs import write_blank_pdf

from .conftest import SHARED_DATA, run_graph

PAPERS = SHARED_DATA / "papers"
needs_papers = pytest.mark.skipif(
    not PAPERS.is_dir(), reason=f"real PDFs not available ({PAPERS} is absent)"
)

# Titles as their first pages print them (checked by hand; MANIFEST.tsv names most of them).
TITLES = {
    "CeON+CERMINE/example3.pdf": "Fragment-based design for the development of N-domain-selective"
    " angiotensin-1-converting enzyme inhibitors",
    "CeON+CERMINE/test2.pdf": "Patient Experiences of Structured Heart Failure Programmes",
    "CeON+CERMINE/test6.pdf": "VESPA: Very large-scale Evolutionary and Selective Pressure Analyses",
    "Future-House+paper-qa/paper.pdf": "A Perspective on Explanations of Molecular Prediction Models",
    "Future-House+paper-qa/pasa.pdf": "PaSa: An LLM Agent for Comprehensive Academic Paper Search",
    "allenai+olmocr/pdftotext_two_column_issue.pdf": "Turner syndrome–issues to consider for transition to adulthood",
    "allenai+papermage/2206.10883v3.pdf": "Multi-LexSum: Real-World Summaries of Civil Rights Lawsuits at Multiple Granularities",
    "allenai+papermage/2302.07302v1.pdf": "CiteSee: Augmenting Citations in Scientific Papers with"
    " Persistent and Personalized Historical Context",
    "allenai+pdffigures2/3a9202f9f176d3377516e3da0866cc19148c033b.pdf": "Intercellular Calcium Waves in Glia",
    "allenai+pdffigures2/498bb0efad6ec15dd09d941fb309aa18d6df9f5f.pdf": "Open Information Extraction from the Web",
    "allenai+pdffigures2/f63cb20759fab2514802c3ef2a743c76bf9dc9f1.pdf": "Ephaptic coupling of cortical neurons",
    "allenai+s2orc-doc2json/N18-3011.pdf": "Construction of the Literature Graph in Semantic Scholar",
    "allenai+science-parse/2a774230b5328df3f8125da9b84a82d92b46a240.pdf": "Disk-Based Storage for Scalable Video",
    "allenai+science-parse/P07-1088.pdf": "Sparse Information Extraction: Unsupervised Language Models to the Rescue",
    "allenai+science-parse/P14-1059.pdf": "How to make words with vectors: Phrase generation in distributional semantics",
    "allenai+science-parse/agarwal11.pdf": "Noisy Matrix Decomposition via Convex Relaxation: Optimal Rates in High Dimensions",
    "allenai+science-parse/c0690a1d74ab781bd54f9fa7e67267cce656.pdf": "Approximation Algorithms for Data Placement on Parallel Disks",
    "allenai+science-parse/map-reduce.pdf": "MapReduce: Simplified Data Processing on Large Clusters",
    "allenai+science-parse/senellart10.pdf": "Probabilistic XML via Markov Chains",
    "allenai+science-parse/seung08.pdf": "Natural Image Denoising with Convolutional Networks",
    "allenai+science-parse/smith07.pdf": "Smooth Sensitivity and Sampling in Private Data Analysis",
    "allenai+science-parse/superscripttest.pdf": "Improving Detection of Influential Nodes in Complex Networks",
    "kermitt2+grobid/0807.3577.pdf": "Apparent and average accelerations of the Universe",
    "kermitt2+grobid/MullenJSSv18i03.pdf": "TIMP: An R Package for Modeling Multi-way Spectroscopic Measurements",
    "kermitt2+grobid/ZFN-A-054-0304-0272.pdf": "Exact Solitary-wave Solutions for the General Fifth-order Shallow Water-wave Models",
    "kermitt2+grobid/compressed.tracemonkey-pldi-09.pdf": "Trace-based Just-in-Time Type Specialization for Dynamic Languages",
    "kermitt2+grobid/test_Grobid_1_05452615.pdf": "A New Requirement Prioritization Model for Market Driven Products Using Analytical"
    " Hierarchical Process",
    "opendatalab+MinerU/demo1.pdf": "The response of flow duration curves to afforestation",
}
# "Open Information Extraction from the Web" is a phrase P07-1088's abstract nearly quotes.
GREY_ZONE = {
    (
        "allenai+pdffigures2/498bb0efad6ec15dd09d941fb309aa18d6df9f5f.pdf",
        "allenai+science-parse/P07-1088.pdf",
    )
}


def first_page_text(path: Path) -> str:
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return pdf[0].get_textpage().get_text_range()
    finally:
        pdf.close()


@needs_papers
def test_every_real_paper_is_recognised_under_its_own_title_and_no_other():
    texts = {name: first_page_text(PAPERS / name) for name in TITLES}
    for title_of, title in TITLES.items():
        for name, text in texts.items():
            if name == title_of:
                assert check_identity(text, title=title, doi=None).flag is None, name
            elif (title_of, name) in GREY_ZONE:
                assert check_identity(text, title=title, doi=None).flag.startswith("unverified")
            else:
                with pytest.raises(SourceFailed) as raised:
                    check_identity(text, title=title, doi=None)
                assert raised.value.reason.value == "wrong_paper", (title_of, name)


@needs_papers
def test_a_printed_doi_settles_it_and_a_scan_passes_flagged():
    text = first_page_text(PAPERS / "CeON+CERMINE/example3.pdf")
    assert "10.1042/cs20130403" in printed_dois(text)
    # Metadata with a garbled title but the DOI the page prints: still the right paper.
    assert (
        check_identity(
            text,
            title="Something else entirely about other enzymes",
            doi="10.1042/CS20130403".lower(),
        ).flag
        is None
    )
    scan = first_page_text(PAPERS / "opendatalab+MinerU/small_ocr.pdf")
    assert check_identity(scan, title="Any title at all here", doi=None).flag.startswith(
        "unverified_scan"
    )


def test_short_titles_and_missing_titles_pass_with_a_flag():
    text = "Adaptive Lattice Models for Coral Reef Decline 3\nAda Lovelace\n1 Introduction ..."
    assert check_identity(text, title="Only a title", doi=None).flag.startswith("unverified")
    assert check_identity(text, title=None, doi=None).flag.startswith("unverified")
    assert (
        check_identity(
            text, title="adaptive lattice models for coral reef decline 3", doi=None
        ).flag
        is None
    )


def _served(open_web, name: str, body: Path) -> str:
    open_web.host.add(f"/{name}", Respond(body=body))
    return open_web.url(f"/{name}")


async def test_a_valid_pdf_of_another_paper_fails_and_the_next_source_is_tried(
    open_web, make_paper, context, tmp_path
):
    mine, other = make_paper(1), make_paper(2)
    papers = [
        # The first URL serves another paper; the second serves this one.
        {
            "doi": mine.doi,
            "title": mine.title,
            "oa_urls": [
                _served(open_web, "other.pdf", other.pdf),
                _served(open_web, "mine.pdf", mine.pdf),
            ],
        },
        # Only a wrong copy anywhere.
        {
            "doi": "10.5555/elsewhere",
            "title": "A Study of Something Else Entirely Different",
            "oa_urls": [open_web.url("/other.pdf")],
        },
        # A scan (no text layer) cannot be checked: accepted, flagged.
        {
            "doi": "10.5555/scan",
            "title": "A Scanned Monograph About Rivers",
            "oa_urls": [
                _served(open_web, "scan.pdf", write_blank_pdf(tmp_path / "scan.pdf", pages=2))
            ],
        },
    ]
    run = await run_graph(
        graph,
        {"papers": papers},
        context=context(source_order=["oa_urls"], host_min_interval_s=0.0),
    )
    first, second, scan = run.output["outcomes"]
    assert first["status"] == "converted"
    assert [a["reason"] for a in first["tried"]] == ["wrong_paper", None]
    assert "of the title's words" in first["tried"][0]["detail"]
    assert (second["status"], second["reason"]) == ("failed", "wrong_paper")
    assert scan["status"] == "converted"
    assert scan["tried"][-1]["detail"].startswith("unverified_scan")


@needs_papers
async def test_real_pdfs_under_their_own_titles_and_under_others(open_web, context):
    right = ["allenai+science-parse/map-reduce.pdf", "CeON+CERMINE/test2.pdf"]
    wrong = [
        ("kermitt2+grobid/0807.3577.pdf", "allenai+science-parse/seung08.pdf"),
        ("allenai+papermage/2302.07302v1.pdf", "CeON+CERMINE/test6.pdf"),
    ]
    papers = [
        {"title": TITLES[name], "oa_urls": [_served(open_web, f"r{i}.pdf", PAPERS / name)]}
        for i, name in enumerate(right)
    ]
    papers += [
        {"title": TITLES[metadata_of], "oa_urls": [_served(open_web, f"w{i}.pdf", PAPERS / served)]}
        for i, (served, metadata_of) in enumerate(wrong)
    ]
    run = await run_graph(
        graph,
        {"papers": papers},
        context=context(
            source_order=["oa_urls"], host_min_interval_s=0.0, calibrated_seconds_per_page=0.01
        ),
    )
    assert [(o["status"], o["reason"]) for o in run.output["outcomes"]] == [
        ("converted", None),
        ("converted", None),
        ("failed", "wrong_paper"),
        ("failed", "wrong_paper"),
    ]
