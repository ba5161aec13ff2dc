"""marker's PdfConverter for text-layer mode, without the work that converts no text.

    converter.py  TextLayerPdfConverter: marker's converter with the parts below plugged in
    images.py     the document built with page images only for the pages something reads them on
    provider.py   marker's PDF provider, with ftfy only for text it could change
    document.py   marker's Document, with a cheap page lookup

Full mode (an inference server) keeps marker's own classes.
"""
