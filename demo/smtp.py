"""A mail sink: a real SMTP server (aiosmtpd) on loopback that keeps what it receives.

It stands in for the académie's SMTP relay in `saisine demo` (each message is
also written as an .eml file to open in a mail client) and in the tests, which
can make it refuse mail to simulate an outage.
"""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from config.settings import Server


def free_port() -> int:
    """A TCP port free on loopback now (the caller binds it right after)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailSink:
    """`with MailSink() as sink:` an SMTP server on 127.0.0.1:`sink.port`."""

    def __init__(self, folder: Path | None = None, **controller: Any) -> None:
        self.folder = folder
        self.controller_options = controller  # e.g. tls_context, require_starttls
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse: str | None = None  # an SMTP reply such as "451 4.3.0 try later"
        self.port = 0
        self._controller: Controller | None = None

    def __enter__(self) -> MailSink:
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port,
                                      **self.controller_options)
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def server(self) -> Server:
        """Settings that point Saisine at this sink (plain SMTP: loopback only)."""
        return Server(host="127.0.0.1", port=self.port, security="none")

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd)
        if self.refuse:
            return self.refuse
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            (self.folder / f"{len(self.messages):03d}.eml").write_bytes(envelope.original_content)
        return "250 OK"
