"""The mailbox side: a raw email into plain data (`message`, mail-parser), and the IMAP
mailbox (`mailbox`, imapclient). Only this package imports those two libraries."""
