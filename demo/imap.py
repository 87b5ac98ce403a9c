"""An embedded IMAP server (pymap's in-memory backend) for `saisine demo`.

It lets the real worker run on a machine with no mail server: the demo starts
it on loopback, drops sample school emails in it with IMAP APPEND, and points
the worker at it exactly as it would point at the académie's server. Nothing
is written to disk; everything is gone when the demo ends.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from argparse import ArgumentParser
from contextlib import AsyncExitStack

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from pydantic import SecretStr
from pymap.backend.dict import DictBackend
from pymap.imap import IMAPService

from config.errors import MailboxError
from config.settings import Server
from demo.smtp import free_port

USER = "pole.ressource"


class EmbeddedImap:
    """`with EmbeddedImap() as imap:` an IMAP server on 127.0.0.1:`imap.port`."""

    def __init__(self) -> None:
        self.port = 0
        self.password = secrets.token_urlsafe(16)
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._failure: BaseException | None = None

    def __enter__(self) -> EmbeddedImap:
        self.port = free_port()
        self._thread = threading.Thread(target=self._run, name="embedded-imap", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._failure is not None or not self._ready.is_set():
            raise MailboxError(f"embedded imap: could not start ({self._failure})")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    def server(self) -> Server:
        """Settings that point Saisine at this server (plain IMAP: loopback only)."""
        return Server(host="127.0.0.1", port=self.port, security="none", username=USER,
                      password=SecretStr(self.password), timeout=10)

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """Drop one message in a folder, as the académie's mail server would."""
        try:
            with IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10) as client:
                client.login(USER, self.password)
                client.append(folder, raw)
        except (IMAPClientError, OSError) as err:
            raise MailboxError(f"embedded imap: cannot deliver ({err})") from err

    def count(self, folder: str = "INBOX") -> int:
        try:
            with IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10) as client:
                client.login(USER, self.password)
                if not client.folder_exists(folder):
                    return 0
                return int(client.folder_status(folder, [b"MESSAGES"])[b"MESSAGES"])
        except (IMAPClientError, OSError) as err:
            raise MailboxError(f"embedded imap: cannot count {folder} ({err})") from err

    # -- the server's own thread ---------------------------------------------------------
    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as err:  # reported to __enter__, which raises it as ours
            self._failure = err
            self._ready.set()
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        # pymap is configured by its own command-line parser; build its arguments with it.
        parser = ArgumentParser(prog="pymap")
        parser.add_argument("--debug", action="store_true")
        backends = parser.add_subparsers(dest="backend", required=True)
        DictBackend.add_subparser("dict", backends)
        IMAPService.add_arguments(parser)
        parser.set_defaults(skip_services=[], passlib_cfg=None)
        args = parser.parse_args(["--host", "127.0.0.1", "--port", str(self.port), "--no-tls",
                                  "dict", "--demo-user", USER,
                                  # One argument: a password may start with "-".
                                  f"--demo-password={self.password}"])
        backend, config = await DictBackend.init(args)
        config.apply_context()
        self._stop = asyncio.Event()
        async with AsyncExitStack() as stack:
            await backend.start(stack)
            await IMAPService(backend, config).start(stack)
            self._ready.set()
            await self._stop.wait()
