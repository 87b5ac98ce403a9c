"""notify: reserved for the worker issue (see README)."""
