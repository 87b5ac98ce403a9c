"""`saisine demo`: the real worker on an embedded mailbox and mail sink, and the servers
the tests and benchmarks start the same way.

`imap` is an in-memory IMAP server (pymap), `smtp` an SMTP server that keeps what it
receives (aiosmtpd), `run` the demo itself with its invented school emails and the
sample fiches in `samples/`. Nothing in production imports this package.
"""
