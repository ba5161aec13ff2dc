"""marker's Document, with its page lookup made cheap.

Every block lookup (`Document.get_block`: marker's processors, its renderer, the layout stage)
finds the block's page first, half a million times for ten papers. marker keeps the page index
in a pydantic private attribute, and reading one goes through pydantic's `__getattr__`, which
cost a text-layer conversion more than the lookup itself (benchmarks/profile_worker.py). This
subclass reads the same index straight from the model's private-attribute dict.
"""

from __future__ import annotations

from typing import Any

from marker.schema.document import Document


class TextLayerDocument(Document):
    """A Document whose `get_page` skips pydantic's attribute fallback; same pages, same index."""

    def get_page(self, page_id: int) -> Any:
        private = self.__pydantic_private__
        index = private.get("_page_index")
        page = index.get(page_id) if index else None
        if page is None:  # as marker: rebuilt on a miss, so pages added later are found
            index = private["_page_index"] = {p.page_id: p for p in self.pages}
            page = index.get(page_id)
        return page
