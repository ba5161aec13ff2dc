"""The layout stage of text-layer mode: marker layout blocks derived from the PDF's text layer.

One module per job: `lines` (line features), `spacing` (word boundaries), `furniture` (running
heads, page and line numbers), `title`, `columns` (reading order), `headings`, `blocks`
(paragraphs, captions, lists, footnotes), `builder` (marker's layout builder),
`processors` (keeps the heading levels this stage set).
"""
