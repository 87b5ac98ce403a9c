"""Meetings: the agenda's contents, read back from the DOCX and PDF it produced; its
scheduling with a held clock (once per meeting, across restarts); carry-over, late
requests, the call for requests; the calendar proposed from the official holidays.
Requests are made by the real pipeline from real fiches, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

import pdfplumber
import pytest
from docx import Document
from sqlmodel import select

from config.calendar import Meeting, Member, school_periods, suggest
from config.settings import Agenda, Settings, Storage
from notify import agenda as documents
from notify import sender
from storage import repo
from storage.db import make_engine, session_scope
from storage.models import Outbox
from tests.conftest import VOIRON
from tests.mail import FICHE, URGENT, fiche_mail
from worker.meetings import queue_due
from worker.pipeline import Services, process

OCTOBER = Meeting(date=date(2026, 10, 16), deadline=date(2026, 10, 10))
DECEMBER = Meeting(date=date(2026, 12, 18))  # deadline: 12 December (6 days before)
POLE = [Member(name="Mme Inspectrice", role="IEN", email="ien.voiron@ac-grenoble.fr"),
        Member(name="M. Psychologue", role="psychologue", email="psy.voiron@ac-grenoble.fr")]
BEHAVIOUR = {**FICHE, "eleve_nom": "BERNARD", "eleve_prenom": "Jules", "classe": "CE1",
             "motifs": ["comportement"], "situation": "Jules jette des objets en classe.",
             "attentes": "Une observation en classe."}
UNREAD = {k: v for k, v in FICHE.items() if k != "situation"} | {"eleve_nom": "PETIT"}


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def services(engine, sandbox, tmp_path):
    settings = Settings(
        circonscription=VOIRON,
        storage=Storage(data_dir=tmp_path / "data"), meetings=[OCTOBER, DECEMBER], pole=POLE,
        agenda=Agenda(reminder_days=3, reminder_to=["ce.0381234x@ac-grenoble.fr",
                                                    "ce.0385555z@ac-grenoble.fr"]))
    return Services(settings, engine, sandbox)


UIDS = itertools.count(1)


def deliver(services, values, sent_on: str = "Mon, 05 Oct 2026 09:30:00 +0200"):
    mail = fiche_mail(values)
    mail.replace_header("Date", sent_on)
    return process(mail.as_bytes(), "INBOX", 1, next(UIDS), services,
                   received=parsedate_to_datetime(sent_on)).references[0]


@pytest.fixture
def requests(services):
    """Four requests for October (urgent, harassment, behaviour, one to re-read), one late."""
    return {"urgent": deliver(services, URGENT), "harassment": deliver(services, FICHE),
            "behaviour": deliver(services, BEHAVIOUR), "unread": deliver(services, UNREAD),
            "late": deliver(services, {**FICHE, "eleve_nom": "MARTIN"},
                            "Tue, 13 Oct 2026 10:00:00 +0200")}


def agenda_mail(services) -> list[Outbox]:
    with session_scope(services.engine) as s:
        return list(s.exec(select(Outbox).where(Outbox.kind == "agenda").order_by(Outbox.id)))


def docx_text(data: bytes) -> tuple[list[str], list[list[list[str]]]]:
    document = Document(io.BytesIO(data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    return headings, tables


def test_the_agenda_goes_out_once_the_morning_after_the_deadline(services, requests,
                                                                 smtp_server):
    settings = services.settings.model_copy(update={"smtp": smtp_server.server()})
    sender.flush(services.engine, settings)  # the acknowledgements and the alert
    smtp_server.messages.clear()
    assert queue_due(services.engine, settings, at(date(2026, 10, 10), 23)) == []
    # The deadline is a Saturday: not on Sunday, but on Monday 12 October, 7:00 in
    # Grenoble (5:00 UTC), the next working morning.
    assert queue_due(services.engine, settings, at(date(2026, 10, 11), 12)) == []
    assert agenda_mail(services) == []
    assert queue_due(services.engine, settings, at(date(2026, 10, 12), 5)) == \
        ["agenda 2026-10-16"]
    assert queue_due(services.engine, settings, at(date(2026, 10, 12), 6)) == []
    # A restart: a new engine on the same database queues nothing more.
    again = make_engine(services.engine.url.render_as_string(hide_password=False))
    assert queue_due(again, settings, at(date(2026, 10, 13))) == []
    again.dispose()
    mails = agenda_mail(services)
    assert sorted(m.recipients[0] for m in mails) == ["ien.voiron@ac-grenoble.fr",
                                                      "psy.voiron@ac-grenoble.fr"]
    assert sender.flush(services.engine, settings) == (2, 0)
    for _, message in smtp_server.messages:
        names = [a.get_filename() for a in message.iter_attachments()]
        assert names == ["ordre-du-jour-pole-ressource-2026-10-16.docx",
                         "ordre-du-jour-pole-ressource-2026-10-16.pdf"]
        assert "vendredi 16 octobre 2026" in message["Subject"]
        assert message["Auto-Submitted"] == "auto-generated"

    # The DOCX, read back: urgent first, then by motif, the unreadable fiche apart.
    docx = next(a for a in smtp_server.messages[0][1].iter_attachments()
                if a.get_filename().endswith(".docx")).get_content()
    headings, tables = docx_text(docx)
    assert headings == ["Pôle ressource – ordre du jour de la réunion du vendredi 16 octobre 2026",
                        "Demandes urgentes (1)", "Motif : troubles du comportement (1)",
                        "Motif : harcèlement ou situation sensible (1)",
                        "Fiches à relire ou à compléter (1)", "Totaux"]
    urgent, behaviour, harassment, unread = tables[:4]
    assert urgent[0][-1] == "Suite donnée" and urgent[1][-1] == ""  # the IEN's column
    assert urgent[1][0].startswith(requests["urgent"]) and "URGENT" in urgent[1][0]
    assert urgent[1][2] == "L. R." and "Voiron" in urgent[1][1]
    assert behaviour[1][0] == requests["behaviour"] and behaviour[1][2] == "CE1\nJ. B."
    assert behaviour[1][6] == "Une observation en classe."
    assert harassment[1][0] == requests["harassment"]
    assert unread[1][0].startswith(requests["unread"]) and "fiche à relire" in unread[1][0]
    every_reference = [row[0].split("\n")[0] for t in tables[:4] for row in t[1:]]
    assert requests["late"] not in every_reference  # it goes to December
    by_motif, by_school = tables[4], tables[5]
    assert ["harcèlement ou situation sensible", "3"] in by_motif
    assert by_school == [["École élémentaire Jean Jaurès (Voiron)", "4"]]
    # Initials only: no pupil's name anywhere in the documents.
    pdf = next(a for a in smtp_server.messages[0][1].iter_attachments()
               if a.get_filename().endswith(".pdf")).get_content()
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        pdf_text = "\n".join(page.extract_text() for page in document.pages)
    body = smtp_server.messages[0][1].get_body(("plain",)).get_content()
    for name in ("ROUX", "DUPONT", "BERNARD", "PETIT", "Léa", "Jules"):
        assert name not in pdf_text and name not in body
        assert all(name not in cell for t in tables for row in t for cell in row)
    # The PDF, read back: the same order.
    assert "réunion du vendredi 16 octobre 2026" in pdf_text
    positions = [pdf_text.index(requests[k]) for k in ("urgent", "behaviour", "harassment",
                                                       "unread")]
    assert positions == sorted(positions)
    assert "4 demandes reçues jusqu'au samedi 10 octobre 2026" in body


def test_open_requests_carry_over_and_decided_ones_do_not(services, requests):
    with session_scope(services.engine) as s:
        repo.decide(s, requests["harassment"], "Suivi par la psychologue.", "psychologue", False)
    # December's deadline is Saturday the 12th: its agenda goes on Monday the 14th.
    queue_due(services.engine, services.settings, at(date(2026, 12, 14), 12))
    [mail, _] = agenda_mail(services)[-2:]
    docx = repo.file_path(services.settings.storage.data_dir,
                          mail.attachments[0]["sha256"]).read_bytes()
    _, tables = docx_text(docx)
    rows = {row[0].split("\n")[0]: row[0] for t in tables[:-2] for row in t[1:]}
    assert requests["harassment"] not in rows  # decided in October
    assert "reportée" in rows[requests["behaviour"]]  # October's, still open
    assert "en retard" in rows[requests["late"]] and "reportée" not in rows[requests["late"]]


def test_full_names_only_when_the_settings_say_so(services, requests):
    with session_scope(services.engine) as s:
        found = repo.agenda_requests(s, OCTOBER.date)
    named = documents.build(found, OCTOBER.date, date(2026, 10, 10), "Voiron", full_names=True)
    _, tables = docx_text(documents.to_docx(named))
    assert tables[0][1][2] == "Léa ROUX"


def test_the_call_for_requests_goes_to_schools_before_the_deadline(services):
    # Three days before 10 October, at 7:00 Paris time.
    assert queue_due(services.engine, services.settings, at(date(2026, 10, 7), 4)) == []
    assert queue_due(services.engine, services.settings, at(date(2026, 10, 7), 5)) == \
        ["reminder 2026-10-16"]
    assert queue_due(services.engine, services.settings, at(date(2026, 10, 8))) == []
    with session_scope(services.engine) as s:
        mails = list(s.exec(select(Outbox).where(Outbox.kind == "reminder")))
    assert sorted(m.recipients[0] for m in mails) == ["ce.0381234x@ac-grenoble.fr",
                                                      "ce.0385555z@ac-grenoble.fr"]
    assert "au plus tard le samedi 10 octobre 2026" in mails[0].body_text


def test_a_meeting_with_nothing_to_study_gets_no_agenda_but_a_word_to_the_ien(services):
    """No request at all: the pôle is not sent an empty agenda; the IEN is told, once."""
    assert queue_due(services.engine, services.settings, at(date(2026, 10, 12), 5)) == \
        ["agenda 2026-10-16"]
    assert queue_due(services.engine, services.settings, at(date(2026, 10, 13), 5)) == []
    [told] = agenda_mail(services)
    assert told.recipients == ["ien.voiron@ac-grenoble.fr"] and told.attachments == []
    assert "aucune demande" in told.subject and "Aucune demande" in told.body_text


def test_the_agenda_waits_for_a_working_morning(services):
    from worker.meetings import agenda_time

    settings = services.settings
    friday = Meeting(date=date(2026, 11, 17), deadline=date(2026, 11, 13))
    before_holiday = Meeting(date=date(2026, 11, 17), deadline=date(2026, 11, 10))
    weekday = Meeting(date=date(2026, 12, 18), deadline=date(2026, 12, 8))
    assert agenda_time(friday, settings).date() == date(2026, 11, 16)  # Monday
    assert agenda_time(before_holiday, settings).date() == date(2026, 11, 12)  # not the 11th
    assert agenda_time(weekday, settings).date() == date(2026, 12, 9)


def test_a_meeting_already_past_sends_nothing(services, requests):
    assert queue_due(services.engine, services.settings, at(date(2026, 10, 20))) == []


# Official 2026-2027 holidays, zone A (Besançon, Bordeaux, Clermont-Ferrand, Dijon,
# Grenoble, Limoges, Lyon, Poitiers), as published in the Bulletin officiel: the day
# classes stop and the day they resume.
OFFICIAL_2026_2027_ZONE_A = [
    (date(2026, 9, 1), None),  # rentrée des élèves
    (date(2026, 10, 17), date(2026, 11, 2)),  # Toussaint
    (date(2026, 12, 19), date(2027, 1, 4)),  # Noël
    (date(2027, 2, 13), date(2027, 3, 1)),  # hiver
    (date(2027, 4, 10), date(2027, 4, 26)),  # printemps
    (date(2027, 7, 3), None),  # été
]


def test_the_proposed_calendar_follows_the_official_zone_a_dates():
    from datetime import timedelta

    periods = school_periods("2026-2027", "A")
    official = [(OFFICIAL_2026_2027_ZONE_A[0][0], date(2026, 10, 16))] + [
        (resume, stop - timedelta(days=1)) for (_, resume), (stop, _) in
        zip(OFFICIAL_2026_2027_ZONE_A[1:-1], OFFICIAL_2026_2027_ZONE_A[2:])]
    assert periods == official
    meetings = suggest("2026-2027", "A", deadline_days=6)
    assert [m.date for m in meetings] == [date(2026, 10, 16), date(2026, 12, 18),
                                          date(2027, 2, 12), date(2027, 4, 9),
                                          date(2027, 7, 2)]
    for meeting, (begin, end) in zip(meetings, periods, strict=True):
        assert begin <= meeting.date <= end and meeting.date.weekday() != 2
        assert meeting.deadline == meeting.date - timedelta(days=6)
    # The circonscription's own notice: meeting on 16 October, fiches by 10 October.
    assert (meetings[0].date, meetings[0].deadline) == (date(2026, 10, 16), date(2026, 10, 10))


def test_the_calendar_refuses_what_it_does_not_know():
    from config.calendar import CalendarError, suggest

    with pytest.raises(CalendarError, match="zone 'D'"):
        school_periods("2026-2027", "D")
    # What `calendar suggest` calls: a zone the official data lacks is said, never a traceback.
    with pytest.raises(CalendarError, match="zone 'Corse'.*zones A, B, C"):
        suggest("2026-2027", "Corse")
    with pytest.raises(CalendarError, match="no official holidays known for 2040-2041"):
        school_periods("2040-2041", "A")


def test_a_meeting_falls_on_a_school_day_outside_the_holidays():
    from config.calendar import first_meeting_day, meeting_day

    # The demo's meeting, three weeks after 5 December 2026: not Saturday 26 December, in
    # the Christmas holidays, but the Monday school resumes.
    assert first_meeting_day(date(2026, 12, 26)) == date(2027, 1, 4)
    assert not meeting_day(date(2027, 1, 6))  # a Wednesday
    assert not meeting_day(date(2026, 11, 11))  # a public holiday
    assert meeting_day(date(2026, 12, 18))
