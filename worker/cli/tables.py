"""Tables the commands print for people."""

from __future__ import annotations

from rich.table import Table

from storage.models import Request


def requests_table(found: list[Request]) -> Table:
    table = Table("référence", "reçue le", "école", "commune", "motifs", "urgent", "à relire",
                  title="Requests", title_justify="left")
    for r in found:
        table.add_row(r.reference, f"{r.created_at:%d/%m/%Y %H:%M}", r.school_name or "?",
                      r.school_commune or "?",
                      ", ".join(r.fields.get("motifs") or []),
                      "oui" if r.urgent else "", "oui" if r.needs_review else "")
    return table
