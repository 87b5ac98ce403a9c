"""Mail that nobody on this project wrote (tests/fixtures/flanker: real bounces, feedback
reports, read receipts and damaged MIME), through the real worker on Dovecot and aiosmtpd.

Each message goes in twice: as it was sent (from domains that are not the académie's),
then with its From: rewritten into the allowed domain, as if a school's server or an
académie robot had sent it. Either way: no crash, the inbox emptied, one outcome per
email, no robot or report answered, nobody answered twice, and a second pass changes
nothing."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import select

from storage.db import session_scope
from storage.models import Outcome, ProcessedMessage
from tests.test_worker import one_pass, settings_for

CORPUS = Path(__file__).parent / "fixtures" / "flanker"
MESSAGES = sorted(CORPUS.rglob("*.eml"))
# Which of them are a machine's mail (bounces, reports, receipts, list software): filed
# as such and never answered, even from a school's domain.
MACHINES = {"bounce/" + name for name in (
    "broken-mime.eml", "delayed.eml", "delayed-broken.eml", "gmail-invalid-address.eml",
    "gmail-no-dns.eml", "gmail-spam-mail.eml", "mailbox-full.eml", "no-mx.eml",
    "office365.eml", "zed.eml")} | {
    "complaints/aol.eml", "complaints/yahoo.eml", "disposition-notification.eml",
    "apache-message-news-mime.eml", "message-external-body.eml", "from-encoding.eml",
    "long-links.eml"}
# Which, from a school, carry a file and so are told their fiche was not found; every
# other one is left for the secretariat, unanswered. (signed.eml's file is its signed
# part, typed application/plain; its S/MIME signature is not counted.)
SENT_A_FILE = {"attached-pdf.eml", "bz2-attachment.eml", "outlook-express.eml",
               "signed.eml", "torture.eml"}
_FROM = re.compile(rb"^From:[^\n]*\n", re.IGNORECASE | re.MULTILINE)


def as_school(raw: bytes, n: int) -> bytes:
    """The same message, its From: rewritten into the allowed domain (a school's
    address for ordinary mail; robots keep their robot's local part)."""
    match = _FROM.search(raw)
    original = match[0] if match else b""
    local = re.search(rb"([\w.+-]+)@", original)
    name = local[1].decode("ascii", "replace") if local else f"ecole{n}"
    replaced = f"From: {name}@ac-grenoble.fr\n".encode()
    return _FROM.sub(replaced, raw, count=1) if match else replaced + raw


def name(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def test_the_corpus_is_all_of_flankers_messages_each_listed_with_its_changes():
    readme = (CORPUS / "README.md").read_text()
    assert len(MESSAGES) == 56 and (CORPUS / "LICENSE").exists()
    assert all(f"| `{name(path)}` |" in readme for path in MESSAGES)


@pytest.mark.parametrize("rewrite", [False, True], ids=["as-sent", "from-a-school"])
def test_real_mail_goes_through_cleanly_and_no_machine_is_answered(
        engine, sandbox, tmp_path, dovecot, smtp_server, rewrite):
    settings = settings_for(tmp_path, dovecot, smtp_server.port)
    for n, path in enumerate(MESSAGES):
        raw = path.read_bytes()
        dovecot.deliver(as_school(raw, n) if rewrite else raw)

    first = one_pass(settings, engine, sandbox)
    assert sum(first.outcomes.values()) == len(MESSAGES)  # one outcome each
    assert dovecot.uids("INBOX") == []
    with session_scope(engine) as s:
        records = list(s.exec(select(ProcessedMessage)))
    assert len(records) == len(MESSAGES) and all(Outcome(r.outcome) for r in records)

    answered = Counter(rcpt[0] for rcpt, _ in smtp_server.messages)
    assert all(n == 1 for n in answered.values())  # nobody twice
    for recipients, message in smtp_server.messages:
        # Only people are ever answered: never a report's or a robot's address.
        assert message["Auto-Submitted"] in ("auto-replied", "auto-generated")
        assert not any(robot in recipients[0] for robot in
                       ("mailer-daemon", "postmaster", "feedback", "scomp"))
    if not rewrite:
        assert smtp_server.messages == []  # strangers are never answered
    outcome = {name(path): record.outcome for path, record in
               zip(MESSAGES, sorted(records, key=lambda r: r.uid))}
    for message, what in outcome.items():
        if message in MACHINES:
            assert what == "machine", message
        elif not rewrite:  # a stranger's mail, or no sender at all: a person sees it
            assert what == "quarantined", message
        elif message in SENT_A_FILE:
            assert what == "no_fiche", message
        else:  # everyday mail, or a file nobody could read (a truncated scan)
            assert what in ("other", "quarantined"), message
    if rewrite:
        told = {message for message, what in outcome.items() if what == "no_fiche"}
        assert len(smtp_server.messages) == len(told) == len(SENT_A_FILE)

    again = one_pass(settings, engine, sandbox)  # nothing new, nothing sent
    assert again.outcomes == {} and again.sent == 0
