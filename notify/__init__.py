"""Composing what Saisine sends: mail (worker issue) and documents such as the blank fiche."""
