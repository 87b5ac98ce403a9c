"""Reading the fiche de demande: any layout, any of DOCX, ODT, DOC, PDF or a scan.

Each format has a reader that turns bytes into a `Document` (lines of cells,
plus named form fields); one engine (`mapper`: `formfields`, `walker`,
`normalise`, with `matching`) turns any `Document` into an `Extraction`. The
fields and motifs are declared once in `fields`; the rest of the wording in
`labels`.
"""
