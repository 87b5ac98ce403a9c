"""The circonscription's IMAP mailbox (imapclient), seen as a queue of raw messages.

Messages are fetched with BODY.PEEK[] (reading never marks them \\Seen: a person's
"unread" stays theirs) and moved out of the watched folder only when the caller
says so, after its database commit: UID MOVE, else COPY + UID EXPUNGE, else a
keyword flag so that at least the next pass knows.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from config.errors import LoginFailed, MailboxError, server_error
from config.settings import Folders, Server

log = logging.getLogger("saisine.ingest")

PROCESSED_FLAG = b"$SaisineDone"
FETCH_BATCH = 50
# RFC 2177: servers may drop an IDLE after 30 minutes; re-issue it well before.
IDLE_MAX_SECONDS = 25 * 60


class Fetched(NamedTuple):
    uid: int
    raw: bytes
    # When the server received it (INTERNALDATE): the sender's Date: header is theirs to
    # write, this is not. None when the server gives none.
    arrived: datetime | None


@dataclass
class MailboxReport:
    capabilities: list[str]
    missing_folders: list[str]
    waiting: int


def _keepalive(sock: socket.socket) -> None:
    """TCP keepalive, so that a connection cut without a word (a NAT or firewall dropping
    it) is noticed within minutes even while IDLE waits; the poll timeout bounds the rest."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for option, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3)):
        if hasattr(socket, option):
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), value)


class Mailbox:
    def __init__(self, server: Server, folders: Folders) -> None:
        self.server = server
        self.folders = folders
        self.client: IMAPClient | None = None
        self.uidvalidity = 0

    # -- connection ------------------------------------------------------------
    def __enter__(self) -> Mailbox:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self, create_folders: bool = True) -> None:
        server = self.server
        context = ssl.create_default_context(cafile=str(server.ca_file) if server.ca_file else None)
        where = f"imap {server.host}:{server.port}"
        try:
            client = IMAPClient(server.host, port=server.port, ssl=server.security == "tls",
                                ssl_context=context, timeout=server.timeout)
            if server.security == "starttls":
                client.starttls(context)
            client.login(server.username, server.password.get_secret_value())
            for folder in (self.folders.processed, self.folders.quarantine):
                if create_folders and not client.folder_exists(folder):
                    client.create_folder(folder)
            selected = client.select_folder(self.folders.inbox)
        except LoginError as err:
            raise LoginFailed(f"{where}: login refused for {server.username!r} ({err})") from err
        except (IMAPClientError, OSError) as err:  # ssl.SSLError is an OSError
            raise server_error(where, err, MailboxError) from err
        _keepalive(client.socket())
        client.normalise_times = False  # INTERNALDATE with its time zone, not local-naive
        self.client = client
        self.uidvalidity = int(selected[b"UIDVALIDITY"])
        log.info("connected to %s (%s)", where, self.folders.inbox)

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(IMAPClientError, OSError):
                # Leaving (maybe on Ctrl-C or SIGTERM): a polite LOGOUT, but never a long wait.
                self.client.socket().settimeout(min(self.server.timeout, 5))
                self.client.logout()
            self.client = None

    def _client(self) -> IMAPClient:
        if self.client is None:
            raise MailboxError("imap: not connected")
        return self.client

    def describe(self) -> MailboxReport:
        """What `saisine doctor` shows: what the server can do, what is missing, what waits."""
        client = self._client()
        try:
            capabilities = sorted(c.decode() for c in client.capabilities())
            missing = [f for f in (self.folders.processed, self.folders.quarantine)
                       if not client.folder_exists(f)]
        except (IMAPClientError, OSError) as err:
            raise MailboxError(f"imap: {err}") from err
        return MailboxReport(capabilities, missing, len(self.waiting()))

    # -- reading -----------------------------------------------------------------
    def waiting(self) -> list[int]:
        """UIDs still in the watched folder and not flagged as done, oldest first.

        The folder is selected again first: cheap, and it tells a UIDVALIDITY changed
        under a long session (a restored or rebuilt mailbox). UIDs then mean other
        messages; the pipeline recognises those it handled by their content."""
        client = self._client()
        try:
            selected = client.select_folder(self.folders.inbox)
            uidvalidity = int(selected[b"UIDVALIDITY"])
            if uidvalidity != self.uidvalidity:
                log.warning("UIDVALIDITY of %s changed (%d -> %d): messages are matched by "
                            "content, none is handled twice", self.folders.inbox,
                            self.uidvalidity, uidvalidity)
                self.uidvalidity = uidvalidity
            return sorted(client.search(["NOT", "KEYWORD", PROCESSED_FLAG.decode()]))
        except (IMAPClientError, OSError) as err:
            raise MailboxError(f"imap: search failed ({err})") from err

    def fetch(self, uids: list[int]) -> Iterator[Fetched]:
        """Each message without touching \\Seen, with the time the server received it;
        memory bounded by the batch."""
        client = self._client()
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start:start + FETCH_BATCH]
            try:
                answer = client.fetch(batch, ["BODY.PEEK[]", "INTERNALDATE"])
            except (IMAPClientError, OSError) as err:
                raise MailboxError(f"imap: fetch failed ({err})") from err
            for uid in batch:
                data = answer.get(uid, {})
                raw = data.get(b"BODY[]")
                if raw is None:
                    log.info("message %s left %s before it was read (moved or deleted by "
                             "someone else): nothing to do", uid, self.folders.inbox)
                    continue
                arrived = data.get(b"INTERNALDATE")
                yield Fetched(uid, raw, arrived if isinstance(arrived, datetime) and
                              arrived.tzinfo is not None else None)

    def wait_for_mail(self, timeout: float) -> bool:
        """Block until the server announces new mail (IDLE) or `timeout` seconds pass.
        True when something arrived; without IDLE, sleeps and says True (poll)."""
        client = self._client()
        timeout = min(timeout, IDLE_MAX_SECONDS)
        try:
            if not client.has_capability("IDLE"):
                time.sleep(timeout)
                return True
            client.idle()
            try:
                # Wait for the socket, not for parsed lines: imapclient's idle_check reads
                # a non-blocking socket and can split a response that arrives in pieces.
                # idle_done reads what came, blocking, until the server's tagged answer.
                ready, _, _ = select.select([client.socket()], [], [], timeout)
            finally:
                _, responses = client.idle_done()
        except (IMAPClientError, OSError, ValueError) as err:
            raise MailboxError(f"imap: connection lost while waiting ({err})") from err
        return bool(ready) or any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT")
                                  for r in responses)

    # -- after the commit -------------------------------------------------------------
    def move(self, uids: list[int], folder: str) -> None:
        client = self._client()
        try:
            self._move(uids, folder)
        except IMAPClientError as err:
            # A person deleted the folder under us: make it again, once, and say so.
            try:
                if client.folder_exists(folder):
                    raise
                log.warning("folder %s had disappeared: created again", folder)
                client.create_folder(folder)
                self._move(uids, folder)
            except (IMAPClientError, OSError) as again:
                raise MailboxError(f"imap: cannot move {len(uids)} message(s) to {folder} "
                                   f"({again})") from err
        except OSError as err:
            raise MailboxError(f"imap: cannot move {len(uids)} message(s) to {folder} "
                               f"({err})") from err

    def _move(self, uids: list[int], folder: str) -> None:
        client = self._client()
        if client.has_capability("MOVE"):
            client.move(uids, folder)
        elif client.has_capability("UIDPLUS"):
            client.copy(uids, folder)
            client.delete_messages(uids)
            client.uid_expunge(uids)
        else:
            client.add_flags(uids, [PROCESSED_FLAG])
