"""Checking every converted paper, page by page, and repairing the pages that need it.

    signals.py   what a page's text says about itself: coverage, garbage, run-together words,
                 real words, image area (cheap: no rendering)
    report.py    one score and named flags per page and per paper (plain data, JSON)
    pages.py     the PDF's own text layer and image area per page; paginated markdown split/joined
    ocr.py       OCR engines (RapidOCR's PP-OCRv4 models in its wheel, or tesseract), one per worker
    repair.py    the ladder: pdfium's spaced text, then OCR, only for the pages that need it

Runs inside the converter worker, right after marker, under the same deadline and isolation.
"""
