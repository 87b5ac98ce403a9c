"""The one error tree of Saisine.

Every failure a user can meet is a `SaisineError` whose message says where it
happened (which file, which server, which stage). Third-party exceptions are
wrapped with `raise X(...) from err` at the edge that called the library, so
callers only ever catch this tree, and the CLI turns it into a one-line message.

    SaisineError
    ├── ConfigError            settings invalid or incomplete (at start, or a command's option)
    │   └── CalendarError      no official school dates for that year or zone
    ├── ExtractionError        a fiche could not be read (parsers/)
    │   ├── UnsupportedFile    not a format Saisine reads
    │   ├── RejectedFile       looks hostile or breaks a limit
    │   │   └── LimitExceeded  ran out of time or memory in its sandbox
    │   └── MissingTool        LibreOffice or tesseract not installed
    ├── EmailError             nothing readable in a message (ingest/message)
    ├── ServerError            a mail server could not be used (ingest/mailbox, notify/sender)
    │   ├── Unreachable        nothing answered: refused, timed out, unknown host
    │   ├── TLSFailed          the TLS handshake failed (wrong mode, old protocol)
    │   │   └── UntrustedCertificate   the server's certificate is not trusted
    │   ├── LoginFailed        the server refused the username or password
    │   ├── MailboxError       the IMAP server refused a command, or the connection broke
    │   └── SendError          the SMTP server refused a command, or the connection broke
    └── StorageError           the database refused or cannot be reached (storage/)
"""

from __future__ import annotations

import socket
import ssl


class SaisineError(Exception):
    """Base of every error Saisine raises on purpose."""


class ConfigError(SaisineError):
    """Raised when the settings are invalid or incomplete (at start, or for a command)."""


class CalendarError(ConfigError):
    """Raised by `calendar suggest` when no official dates are known for a year or zone."""


class ExtractionError(SaisineError):
    """Raised when a fiche cannot be read."""


class UnsupportedFile(ExtractionError):
    """Raised when the file is not a format Saisine reads (by content, not by name)."""


class RejectedFile(ExtractionError):
    """Raised when the file looks hostile or breaks a limit (size, zip bomb, DOCTYPE...)."""


class LimitExceeded(RejectedFile):
    """Raised when parsing runs out of time or memory in its sandbox."""


class MissingTool(ExtractionError):
    """Raised when an external program needed for this format is not installed."""


class EmailError(SaisineError):
    """Raised when nothing at all is readable in a message (the pipeline quarantines it)."""


class ServerError(SaisineError):
    """Raised when a mail server (IMAP or SMTP) cannot be used; the message names it."""


class Unreachable(ServerError):
    """Raised when nothing answers: connection refused, timed out, or unknown host."""


class TLSFailed(ServerError):
    """Raised when the TLS handshake fails (a plain-text port, an old protocol)."""


class UntrustedCertificate(TLSFailed):
    """Raised when the server's certificate is not trusted (a private CA, a wrong name)."""


class LoginFailed(ServerError):
    """Raised when the server refuses the username or the password."""


class MailboxError(ServerError):
    """Raised when the IMAP server refuses a command or the connection breaks."""


class SendError(ServerError):
    """Raised when the SMTP server refuses a command or the connection breaks."""


class StorageError(SaisineError):
    """Raised when the database refuses an operation or cannot be reached."""


class ActionError(SaisineError):
    """A person asked for something that cannot be done (a value that is none of its
    kind, a status without its reason), from the bureau or the command line."""


def server_error(where: str, err: BaseException, otherwise: type[ServerError]) -> ServerError:
    """The error to raise (`from err`) for `err`, met while talking to the server at
    `where` ("imap host:port"): typed by its cause when the socket layer tells it,
    else `otherwise`. A refused login is told by the protocol library: its caller
    raises `LoginFailed` itself."""
    cause: type[ServerError] = otherwise
    if isinstance(err, ssl.SSLCertVerificationError):
        cause = UntrustedCertificate
    elif isinstance(err, ssl.SSLError):
        cause = TLSFailed
    elif isinstance(err, (ConnectionRefusedError, TimeoutError, socket.gaierror)):
        cause = Unreachable
    return cause(f"{where}: {type(err).__name__}: {err}")
