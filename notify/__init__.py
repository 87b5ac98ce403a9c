"""What Saisine writes: every mail, one function per kind (`mails`), their templates and
headers (`compose`), the SMTP sender (`sender`), the agenda documents (`agenda`) and
the blank fiche (`fiche`)."""
