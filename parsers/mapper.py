"""From a `Document` (lines of cells, named fields) to the fiche's fields.

Three parts, in order: named form fields (`formfields`), then the lines as a
person reads them (`walker`), then each value normalised by its field's kind
(`normalise`). The engine knows no wording itself: every label comes from
`fields` and `labels`.
"""

from __future__ import annotations

from parsers.formfields import read_form_fields
from parsers.model import Document, Extraction
from parsers.normalise import finish
from parsers.walker import Reader


def map_document(doc: Document, filename: str) -> Extraction:
    """Read every field of the fiche out of a `Document`."""
    reader = Reader()
    read_form_fields(reader, doc.fields)
    reader.feed(doc.lines)
    return finish(reader.s, doc, filename)
