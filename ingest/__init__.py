"""The mailbox side: reading raw emails (message), and the IMAP mailbox (worker issue)."""
