"""The `saisine` command (and, with the worker issue, the scheduled mailbox worker)."""
