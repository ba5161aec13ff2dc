"""marker's PdfConverter for text-layer mode, without the work that converts no text.

    converter.py  TextLayerPdfConverter: marker's converter with the two parts below plugged in
    images.py     page images rendered only for the pages something reads them on
    provider.py   marker's PDF provider, with ftfy only for text it could change

Full mode (an inference server) keeps marker's own classes.
"""
