"""Reading the fiche de demande: any layout, any of DOCX, ODT, DOC, PDF or a scan.

Each format has a reader that turns bytes into a `Document` (lines of cells,
plus named form fields); one engine (`mapper`) turns any `Document` into an
`Extraction`. All label knowledge lives in `labels`.
"""
