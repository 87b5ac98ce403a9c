"""The bureau's web application: pages, forms and files, in French.

Every page but the sign-in page and the static files needs a session; a request of
another circonscription, or one the person's role does not show, answers 404 like a
reference that does not exist. Every form carries the session's CSRF token (the
sign-in form a cookie-bound one). Every view of a request's pupil data is audited
(who, when, which reference), never the data itself.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.exceptions import HTTPException

from bureau import auth, oidc, preview
from bureau import export as exports
from config.calendar import Meeting, recipients
from config.errors import ActionError, EmailError
from config.settings import LOOPBACK, Settings
from ingest.message import Email, read_email
from notify import agenda as documents
from notify.compose import date_fr, day_fr, shown
from parsers.fields import FIELD_BY_KEY, MOTIFS, SECTIONS, fields_in, motif_label
from parsers.normalise import doubted_fields, unplaced_labels
from parsers.registry import file_type
from storage import accounts, repo
from storage import bureau as read
from storage.db import session_scope
from storage.models import (
    Account,
    ProcessedMessage,
    RequestStatus,
    Role,
    StoredFile,
    WebSession,
    utcnow,
)
from storage.models import Request as Demande
from worker import actions
from worker.meetings import (
    agenda_file_stem,
    build_agenda,
    deadline_of,
    queue_agenda,
    queue_decision,
)

log = logging.getLogger("saisine.bureau")
HERE = Path(__file__).parent
CSP = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")
LOGIN_CSRF = "saisine_login"
OIDC_COOKIE = "saisine_oidc"
SORTS = (("recent", "Plus récentes"), ("oldest", "Plus anciennes"), ("school", "École"),
         ("meeting", "Réunion"))


# What a role may do (`storage.models.Role`'s properties), as the pages ask it.
Ability = Literal["sees_pupils", "edits", "administers"]


class Redirect(Exception):
    """Leave the page for another (the sign-in page, or where a form goes back to)."""

    def __init__(self, to: str) -> None:
        self.to = to


@dataclass
class Page:
    """Who is looking, and what every page shows around its content."""

    account: Account
    row: WebSession
    viewer: read.Viewer
    flashes: list[tuple[str, str]] = field(default_factory=list)


def create_app(settings: Settings, engine: Engine) -> FastAPI:
    app = FastAPI(title="Saisine", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=HERE / "templates")
    zone = ZoneInfo(settings.agenda.timezone)
    _filters(templates, zone)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    with session_scope(engine) as s:
        accounts.name_circonscription(s, settings.circonscription.name)
    lifetime = timedelta(hours=settings.bureau.session_hours)

    @contextmanager
    def db() -> Iterator[Session]:
        with session_scope(engine) as session:
            yield session

    def attended(account: Account) -> frozenset[date]:
        """The meetings a member of the pôle attends: those whose agenda they receive
        (they are in the settings' pôle list under their account's address)."""
        member = next((m for m in settings.pole
                       if m.email.casefold() == account.email.casefold()), None)
        if member is None:
            return frozenset()
        return frozenset(m.date for m in settings.meetings
                         if member in recipients(m, settings.pole))

    def signed_in(request: Request, session: Session) -> Page:
        found = auth.current(session, request.cookies.get(auth.COOKIE))
        if found is None:
            raise Redirect("/connexion")
        row, account = found
        # Only the messages the bureau itself words: a link cannot put text on a page.
        flashes = [f.partition(":") for f in request.query_params.getlist("info")]
        return Page(account, row, read.Viewer.of(account, attended(account)),
                    [(kind, _FLASHES[what]) for kind, _, what in flashes
                     if kind in ("success", "info") and what in _FLASHES])

    def checked(request: Request, session: Session, form: Any) -> Page:
        """The signed-in person, if the form (or the htmx call's header) carries their
        session's CSRF token."""
        page = signed_in(request, session)
        given = form.get("csrf") or request.headers.get("x-csrf-token")
        if not auth.csrf_ok(page.row, given):
            raise HTTPException(403, "Jeton de sécurité du formulaire invalide.")
        return page

    def render(request: Request, name: str, title: str, page: Page | None,
               session: Session | None, status: int = 200, **context: Any) -> HTMLResponse:
        nav: list[dict[str, Any]] = []
        if page is not None and session is not None:
            counts = read.counts(session, page.viewer)
            role = page.viewer.role
            items = [("/", "À traiter", counts["a_traiter"], role.sees_pupils),
                     ("/demandes", "Demandes", counts["demandes"], role.sees_pupils),
                     ("/reunions", "Réunions", None, role.sees_pupils),
                     ("/quarantaine", "Quarantaine", counts["quarantaine"], role.edits),
                     ("/comptes", "Comptes", None, role.administers)]
            path = request.url.path
            nav = [dict(href=h, label=label, count=count,
                        current=path == h or (h != "/" and path.startswith(h)))
                   for h, label, count, shown_ in items if shown_]
        return templates.TemplateResponse(request, name, status_code=status, context=dict(
            page_title=title, circonscription=settings.circonscription.name, nav=nav,
            me=page.account if page else None,
            role_label=Role(page.account.role).label if page else "",
            csrf=page.row.csrf_token if page else "",
            flashes=page.flashes if page else [], status_label=RequestStatus.label_of,
            motif_label=motif_label, field_label=_field_label,
            pupils=bool(page and page.viewer.role.sees_pupils), **context))

    @app.exception_handler(Redirect)
    async def _redirect(request: Request, exc: Redirect) -> Response:
        return RedirectResponse(exc.to, status_code=303)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        titles = {404: "Page introuvable", 403: "Accès refusé", 405: "Action impossible"}
        message = (exc.detail if exc.status_code == 403 and isinstance(exc.detail, str)
                   else "Cette page n'existe pas, ou vous n'y avez pas accès.")
        return render(request, "erreur.html", titles.get(exc.status_code, "Erreur"), None,
                      None, status=exc.status_code, message=message)

    @app.middleware("http")
    async def _headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"  # pupil data stays off disks
        return response

    def secure(request: Request) -> bool:
        return request.url.scheme == "https" or (request.url.hostname or "") not in LOOPBACK

    # --- signing in and out --------------------------------------------------------

    def welcome(request: Request, done: auth.SignedIn, spent: str) -> Response:
        """Into the bureau with the new session's cookie; the sign-in's own cookie goes."""
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(auth.COOKIE, done.token, httponly=True, samesite="lax",
                            secure=secure(request), max_age=int(lifetime.total_seconds()))
        response.delete_cookie(spent, path="/connexion")
        return response

    @app.get("/connexion", response_class=HTMLResponse)
    def login_page(request: Request) -> Response:
        token = secrets.token_urlsafe(24)
        response = render(request, "connexion.html", "Se connecter", None, None,
                          error=_LOGIN_ERRORS.get(request.query_params.get("erreur", "")),
                          email="", login_csrf=token, provider=settings.bureau.oidc)
        response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="lax",
                            secure=secure(request), path="/connexion")
        return response

    @app.post("/connexion")
    async def login(request: Request) -> Response:
        form = await request.form()
        cookie = request.cookies.get(LOGIN_CSRF)
        if not cookie or not secrets.compare_digest(cookie, str(form.get("csrf", ""))):
            return RedirectResponse("/connexion?erreur=jeton", status_code=303)
        with db() as session:
            done = auth.sign_in(session, str(form.get("email", "")),
                                str(form.get("password", "")), lifetime)
            if done is None:
                repo.audit(session, "bureau.login_failed", None, "")
                return RedirectResponse("/connexion?erreur=identifiants", status_code=303)
            repo.audit(session, "bureau.login", None, f"account {done.account.id}")
        return welcome(request, done, LOGIN_CSRF)

    @app.get("/connexion/oidc")
    def oidc_start(request: Request) -> Response:
        provider = settings.bureau.oidc
        if provider is None:
            raise HTTPException(404)
        try:
            started = oidc.start(provider)
        except ActionError as err:
            log.warning("identity provider: %s", err)
            return RedirectResponse("/connexion?erreur=fournisseur", status_code=303)
        response = RedirectResponse(started.url, status_code=303)
        # The browser comes back from the provider by a top-level GET: a Lax cookie is sent.
        response.set_cookie(OIDC_COOKIE, ".".join((started.state, started.nonce,
                                                   started.verifier)),
                            httponly=True, samesite="lax", secure=secure(request),
                            path="/connexion", max_age=600)
        return response

    @app.get("/connexion/oidc/retour")
    def oidc_back(request: Request) -> Response:
        provider = settings.bureau.oidc
        if provider is None:
            raise HTTPException(404)
        state, _, rest = request.cookies.get(OIDC_COOKIE, "").partition(".")
        nonce, _, verifier = rest.partition(".")
        given = request.query_params.get("state", "")
        code = request.query_params.get("code", "")
        failed = RedirectResponse("/connexion?erreur=fournisseur", status_code=303)
        failed.delete_cookie(OIDC_COOKIE, path="/connexion")
        if not (state and code and verifier) or not secrets.compare_digest(state, given):
            return failed
        try:
            email = oidc.finish(provider, code, verifier, nonce)
        except ActionError as err:
            log.warning("identity provider: %s", err)
            return failed
        with db() as session:
            account = accounts.find_account(session, email)
            if account is None or not account.active:
                repo.audit(session, "bureau.login_failed", None, "identity provider: no account")
                return RedirectResponse("/connexion?erreur=sans-compte", status_code=303)
            done = auth.open_for(session, account, lifetime)
            repo.audit(session, "bureau.login", None,
                       f"account {account.id} through {provider.label}")
        return welcome(request, done, OIDC_COOKIE)

    @app.post("/deconnexion")
    async def logout(request: Request) -> Response:
        form = await request.form()
        with db() as session:
            page = checked(request, session, form)
            accounts.revoke(session, page.row)
        response = RedirectResponse("/connexion", status_code=303)
        response.delete_cookie(auth.COOKIE)
        return response

    # --- pages ---------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        with db() as session:
            page = signed_in(request, session)
            if page.viewer.role.administers:
                raise Redirect("/comptes")
            handle = read.to_handle(session, page.viewer)
            return render(request, "a_traiter.html", "À traiter", page, session, handle=handle)

    def filters_from(q: Any) -> read.Filters:
        meeting = _date_or_none(q.get("reunion", ""))
        return read.Filters(meeting=meeting, status=q.get("statut", ""), motif=q.get("motif", ""),
                            urgent=q.get("urgent") == "1", review=q.get("a_verifier") == "1",
                            late=q.get("hors_delai") == "1", search=q.get("q", "")[:100],
                            sort=q.get("tri", "recent"))

    @app.get("/demandes", response_class=HTMLResponse)
    def request_list(request: Request) -> Response:
        with db() as session:
            page = signed_in(request, session)
            f = filters_from(request.query_params)
            rows = read.requests(session, page.viewer, f)
            flags = [("urgent", "Urgentes", f.urgent), ("a_verifier", "À vérifier", f.review),
                     ("hors_delai", "Hors délai", f.late)]
            query = urlencode([(k, v) for k, v in request.query_params.multi_items()
                               if k != "info"])
            return render(request, "demandes.html", "Demandes", page, session, rows=rows, f=f,
                          meetings=read.meetings(session, page.viewer), statuses=list(
                              RequestStatus), motifs=MOTIFS, sorts=SORTS, flags=flags,
                          query=query, views=read.views(session, page.account))

    @app.post("/vues")
    async def view_save(request: Request) -> Response:
        form = await request.form()
        with db() as session:
            page = checked(request, session, form)
            name = str(form.get("nom", "")).strip()
            query = str(form.get("requete", ""))
            if name:
                read.save_view(session, page.account, name, query)
        return RedirectResponse(f"/demandes?{query}", status_code=303)

    @app.post("/vues/{view_id}/supprimer")
    async def view_drop(request: Request, view_id: int) -> Response:
        form = await request.form()
        with db() as session:
            page = checked(request, session, form)
            if not read.drop_view(session, page.account, view_id):
                raise HTTPException(404)
        return RedirectResponse("/demandes", status_code=303)

    @app.get("/demandes.{kind}")
    def export(request: Request, kind: str) -> Response:
        if kind not in ("csv", "xlsx"):
            raise HTTPException(404)
        with db() as session:
            page = signed_in(request, session)
            rows = read.requests(session, page.viewer, filters_from(request.query_params),
                                 limit=100_000)
            repo.audit(session, "bureau.export", None,
                       f"by {page.account.email}: {len(rows)} request(s), {kind}")
            header, lines = exports.table(rows, page.viewer.role.sees_pupils)
        if kind == "csv":
            data, mime = exports.to_csv(header, lines), "text/csv; charset=utf-8"
        else:
            data = exports.to_xlsx(header, lines)
            mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(data, media_type=mime, headers={
            "Content-Disposition": f'attachment; filename="demandes.{kind}"'})

    def allowed(request: Request, session: Session, may: Ability,
                form: Any | None = None) -> Page:
        """The signed-in person, if their role may do this (else 404, as for a page that
        does not exist), and, for a form, its CSRF token checked."""
        page = signed_in(request, session) if form is None else checked(request, session, form)
        if not getattr(page.viewer.role, may):
            raise HTTPException(404)
        return page

    def the_request(session: Session, page: Page, reference: str) -> Demande:
        found = read.find(session, page.viewer, reference)
        if found is None:
            raise HTTPException(404)
        return found

    def show(request: Request, session: Session, page: Page, r: Demande,
             status: int = 200) -> HTMLResponse:
        repo.audit(session, "request.viewed", r.reference, f"by {page.account.email}")
        if page.viewer.role.edits:  # those who answer schools have now seen their messages
            read.mark_read(session, r)
        kept = repo.files_of(session, r)
        files = [preview.describe(settings.storage.data_dir, f, settings.libreoffice,
                                  settings.limits.convert_timeout_seconds) for f in kept]
        sections = [(s, fields_in(s)) for s in SECTIONS]
        stored = {f.sha256: f.name for f in kept}
        # Fields the reading doubted (a check letter that does not match, a date that is
        # none...): marked beside them, as the missing ones are.
        doubted = set(doubted_fields(r.warnings))
        back = request.query_params.get("depuis", "")
        before, after = read.neighbours(session, page.viewer, filters_from(
            dict(parse_qsl(back))), r.reference) if back else (None, None)
        return render(request, "demande.html", r.reference, page, session, status=status, r=r,
                      back=back, before=before, after=after, stored=stored, doubted=doubted,
                      unplaced=unplaced_labels(r.warnings),
                      files=files, sections=sections, motifs=MOTIFS,
                      statuses=list(RequestStatus), can_edit=page.viewer.role.edits,
                      conversation=repo.conversation(session, r), notes=read.notes(session, r),
                      pole=settings.pole, meetings=[m.date for m in settings.meetings])

    def refused(request: Request, session: Session, page: Page, reference: str,
                err: Exception) -> HTMLResponse:
        """The form's error, on the request as it was (nothing of the form was saved)."""
        session.rollback()
        page.flashes.append(("error", str(err)))
        return show(request, session, page, the_request(session, page, reference), status=400)

    @app.get("/demandes/{reference}", response_class=HTMLResponse)
    def request_page(request: Request, reference: str) -> Response:
        with db() as session:
            page = signed_in(request, session)
            return show(request, session, page, the_request(session, page, reference))

    def editing(request: Request, session: Session, form: Any,
                reference: str) -> tuple[Page, Demande]:
        """The checked form's author and the request their role lets them change."""
        page = allowed(request, session, "edits", form)
        return page, the_request(session, page, reference)

    @app.post("/demandes/{reference}/champs")
    async def correct(request: Request, reference: str) -> Response:
        form = await request.form()
        with db() as session:
            page, r = editing(request, session, form, reference)
            changes: dict[str, Any] = {k: form.get(k) for k in FIELD_BY_KEY if k in form}
            changes["motifs"] = form.getlist("motifs")
            try:
                done = actions.correct(session, settings, r, changes, page.account.email)
            except ActionError as err:
                return refused(request, session, page, reference, err)
        if not done.changed:
            return _back(reference, "info", "aucun-changement")
        return _back(reference, "success", "alerte" if done.alerted else "corrige")

    async def acting(request: Request, reference: str, what: str, anchor: str,
                     do: Callable[[Session, Page, Demande, Any], object]) -> Response:
        """A form that changes a request: checked, done in one transaction, then back to
        the request with its message; an action refused shows the page with the reason."""
        form = await request.form()
        with db() as session:
            page, r = editing(request, session, form, reference)
            try:
                do(session, page, r, form)
            except ValueError:  # a value no form of ours sends
                raise HTTPException(400) from None
            except ActionError as err:
                return refused(request, session, page, reference, err)
        return _back(reference, "success", what, anchor)

    @app.post("/demandes/{reference}/statut")
    async def status(request: Request, reference: str) -> Response:
        return await acting(request, reference, "statut", "statut", lambda s, page, r, f: (
            actions.set_status(s, r, RequestStatus(str(f.get("statut", ""))),
                               page.account.email, str(f.get("raison", "")))))

    @app.post("/demandes/{reference}/reponse")
    async def answer(request: Request, reference: str) -> Response:
        return await acting(request, reference, "reponse", "conversation",
                            lambda s, page, r, f: actions.reply(
                                s, settings, r, str(f.get("message", "")), page.account.name,
                                page.account.email))

    @app.post("/demandes/{reference}/decision")
    async def decision(request: Request, reference: str) -> Response:
        return await acting(request, reference, "decision", "decision",
                            lambda s, page, r, f: actions.decide(
                                s, settings, r, str(f.get("suite", "")).strip() or None,
                                str(f.get("referent", "")) or None, f.get("clore") == "1",
                                page.account.email))

    @app.post("/demandes/{reference}/notifier")
    async def notify(request: Request, reference: str) -> Response:
        form = await request.form()
        with db() as session:
            page, r = editing(request, session, form, reference)
            try:
                _, queued = queue_decision(session, settings, r.reference)
            except ActionError as err:
                return refused(request, session, page, reference, err)
        return _back(reference, "success" if queued else "info",
                     "decision-envoyee" if queued else "decision-deja", "decision")

    @app.post("/demandes/{reference}/reunion")
    async def meeting(request: Request, reference: str) -> Response:
        def move(session: Session, page: Page, r: Demande, form: Any) -> None:
            chosen = _date_or_none(str(form.get("reunion", "")))
            if chosen is None:
                raise ActionError("Choisissez une réunion.")
            actions.move(session, settings, r, chosen, page.account.email)

        return await acting(request, reference, "reunion", "decision", move)

    @app.post("/demandes/{reference}/notes")
    async def note(request: Request, reference: str) -> Response:
        form = await request.form()
        with db() as session:
            page = checked(request, session, form)
            r = the_request(session, page, reference)
            text = str(form.get("texte", "")).strip()[:5000]
            if text:
                read.add_note(session, r, page.account, text, opinion=form.get("avis") == "1")
                repo.audit(session, "request.noted", r.reference, f"by {page.account.email}")
        return _back(reference, "success", "note", "notes")

    def stored(request: Request, reference: str, sha256: str,
               audited: bool = False) -> tuple[StoredFile, Path]:
        """A file of a request this person may see, and where it lies; `audited`: a
        download of pupil data (a page's previews are part of its audited view)."""
        with db() as session:
            page = signed_in(request, session)
            r = the_request(session, page, reference)
            found = next((f for f in repo.files_of(session, r) if f.sha256 == sha256), None)
            if found is None:
                raise HTTPException(404)
            if audited:
                repo.audit(session, "request.file", r.reference, f"by {page.account.email}")
        return found, repo.file_path(settings.storage.data_dir, sha256)

    @app.get("/demandes/{reference}/fichiers/{sha256}")
    def download(request: Request, reference: str, sha256: str) -> Response:
        found, path = stored(request, reference, sha256, audited=True)
        return _attachment(path.read_bytes(), found.name)

    @app.get("/demandes/{reference}/fichiers/{sha256}/page/{number}.png")
    def page_image(request: Request, reference: str, sha256: str, number: int) -> Response:
        _, path = stored(request, reference, sha256)
        png = preview.pdf_page(settings.storage.data_dir, path, sha256, number)
        if png is None:
            raise HTTPException(404)
        return Response(png, media_type="image/png")

    @app.get("/demandes/{reference}/fichiers/{sha256}/apercu")
    def image(request: Request, reference: str, sha256: str) -> Response:
        data = stored(request, reference, sha256)[1].read_bytes()
        _, mime = file_type(data)
        if mime not in ("image/png", "image/jpeg"):
            raise HTTPException(404)
        return Response(data, media_type=mime)

    # --- meetings ------------------------------------------------------------------

    def the_meeting(day: str) -> Meeting:
        found = next((m for m in settings.meetings if m.date.isoformat() == day), None)
        if found is None:
            raise HTTPException(404)
        return found

    def in_order(session: Session, page: Page, meeting: Meeting) -> list[Demande]:
        """The meeting's requests in its agenda's order (urgent, by motif, to check)."""
        rows = read.meeting_requests(session, page.viewer, meeting.date)
        agenda = documents.build(rows, meeting.date, deadline_of(meeting, settings), "")
        order = [item.reference for section in agenda.sections for item in section.items]
        by_ref = {r.reference: r for r in rows}
        return [by_ref[ref] for ref in order if ref in by_ref]

    @app.get("/reunions", response_class=HTMLResponse)
    def meetings_page(request: Request) -> Response:
        with db() as session:
            page = allowed(request, session, "sees_pupils")
            today = datetime.now(zone).date()
            # Only counted here: the agenda's order is built on each meeting's own page.
            rows = [(m, deadline_of(m, settings),
                     len(read.meeting_requests(session, page.viewer, m.date)))
                    for m in sorted(settings.meetings, key=lambda m: m.date)]
            return render(request, "reunions.html", "Réunions", page, session, rows=rows,
                          today=today)

    @app.get("/reunions/{day}", response_class=HTMLResponse)
    def meeting_page(request: Request, day: str) -> Response:
        with db() as session:
            page = allowed(request, session, "sees_pupils")
            return meeting_view(request, session, page, the_meeting(day))

    def meeting_view(request: Request, session: Session, page: Page, meeting: Meeting,
                     status: int = 200) -> HTMLResponse:
        return render(request, "reunion.html", f"Réunion du {day_fr(meeting.date)}", page,
                      session, status=status, meeting=meeting,
                      deadline=deadline_of(meeting, settings),
                      rows=in_order(session, page, meeting), can_edit=page.viewer.role.edits)

    @app.get("/reunions/{day}/ordre-du-jour.{kind}")
    def agenda_file(request: Request, day: str, kind: str) -> Response:
        if kind not in ("docx", "pdf"):
            raise HTTPException(404)
        with db() as session:
            page = allowed(request, session, "sees_pupils")
            meeting = the_meeting(day)
            agenda = build_agenda(session, settings, meeting)
            repo.audit(session, "agenda.downloaded", None,
                       f"meeting {meeting.date} by {page.account.email}")
        data = documents.to_docx(agenda) if kind == "docx" else documents.to_pdf(agenda)
        _, mime = file_type(data)
        name = f"{agenda_file_stem(meeting)}.{kind}"
        return Response(data, media_type=mime,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.post("/reunions/{day}/envoyer")
    async def send_agenda(request: Request, day: str) -> Response:
        form = await request.form()
        with db() as session:
            page = allowed(request, session, "edits", form)
            meeting = the_meeting(day)
            queued = queue_agenda(session, settings, meeting, again=utcnow().isoformat())
            repo.audit(session, "agenda.sent_on_demand", None,
                       f"meeting {meeting.date} by {page.account.email}")
        what = "ordre-du-jour" if queued else "ordre-du-jour-sans-destinataire"
        return RedirectResponse(f"/reunions/{day}?info=success:{what}", status_code=303)

    @app.get("/reunions/{day}/seance", response_class=HTMLResponse)
    def meeting_mode(request: Request, day: str) -> Response:
        with db() as session:
            page = allowed(request, session, "edits")
            meeting = the_meeting(day)
            rows = in_order(session, page, meeting)
            n = _number(request.query_params.get("n", "1"))
            if n > len(rows):
                decided = [r for r in rows if r.decision]
                return render(request, "seance_fin.html", f"Séance du {day_fr(meeting.date)}",
                              page, session, meeting=meeting, rows=rows, decided=decided)
            r = rows[n - 1]
            repo.audit(session, "request.viewed", r.reference, f"by {page.account.email}")
            return sitting(request, session, page, meeting, r, n, len(rows))

    def sitting(request: Request, session: Session, page: Page, meeting: Meeting, r: Demande,
                n: int, total: int, status: int = 200) -> HTMLResponse:
        """The meeting mode's page of one request: the `n`th of `total`."""
        return render(request, "seance.html", f"Séance du {day_fr(meeting.date)}", page,
                      session, status=status, meeting=meeting, r=r, n=n, total=total,
                      pole=settings.pole)

    @app.post("/reunions/{day}/seance/{reference}")
    async def meeting_decision(request: Request, day: str, reference: str) -> Response:
        form = await request.form()
        n = _number(str(form.get("n", "1")))
        with db() as session:
            page, r = editing(request, session, form, reference)
            meeting = the_meeting(day)
            try:
                if r.meeting_date != meeting.date:  # carried over: decided at this meeting
                    actions.move(session, settings, r, meeting.date, page.account.email)
                actions.decide(session, settings, r, str(form.get("suite", "")).strip() or None,
                               str(form.get("referent", "")) or None, form.get("clore") == "1",
                               page.account.email)
            except ActionError as err:
                session.rollback()
                page.flashes.append(("error", str(err)))
                return sitting(request, session, page, meeting, r, n,
                               len(in_order(session, page, meeting)), status=400)
        return RedirectResponse(f"/reunions/{day}/seance?n={n + 1}", status_code=303)

    @app.post("/reunions/{day}/notifier")
    async def notify_all(request: Request, day: str) -> Response:
        form = await request.form()
        with db() as session:
            page = allowed(request, session, "edits", form)
            meeting = the_meeting(day)
            sent = 0
            for r in in_order(session, page, meeting):
                if r.decision:
                    try:
                        _, queued = queue_decision(session, settings, r.reference)
                    except ActionError as err:  # before the meeting: nothing goes
                        page.flashes.append(("error", str(err)))
                        session.rollback()
                        return meeting_view(request, session, page, meeting, status=400)
                    sent += queued
        what = "decisions" if sent else "decisions-deja"
        return RedirectResponse(f"/reunions/{day}?info=success:{what}", status_code=303)

    @app.get("/quarantaine", response_class=HTMLResponse)
    def quarantine(request: Request) -> Response:
        with db() as session:
            page = allowed(request, session, "edits")
            return render(request, "quarantaine.html", "Quarantaine", page, session,
                          rows=read.quarantine(session, page.viewer))

    def set_aside(request: Request, session: Session, page: Page,
                  record_id: int) -> tuple[ProcessedMessage, Email | None]:
        """The set-aside email this person may act on, and what it says (None when its
        copy is gone: retention, or an email from before the bureau)."""
        record = read.quarantined_email(session, page.viewer, record_id)
        if record is None or record.handled_at is not None:
            raise HTTPException(404)
        if not record.raw_sha256:
            return record, None
        raw = repo.file_path(settings.storage.data_dir, record.raw_sha256)
        try:
            return record, read_email(raw.read_bytes())
        except (OSError, EmailError):
            return record, None

    @app.get("/quarantaine/{record_id}", response_class=HTMLResponse)
    def set_aside_page(request: Request, record_id: int) -> Response:
        with db() as session:
            page = signed_in(request, session)
            record, email = set_aside(request, session, page, record_id)
            repo.audit(session, "quarantine.viewed", None,
                       f"record {record_id} by {page.account.email}")
            return email_page(request, session, page, record, email)

    def email_page(request: Request, session: Session, page: Page, record: ProcessedMessage,
                   email: Email | None, status: int = 200) -> HTMLResponse:
        return render(request, "courriel.html", "Courriel mis de côté", page, session,
                      status=status, q=record, email=email)

    @app.get("/quarantaine/{record_id}/pieces/{number}")
    def set_aside_file(request: Request, record_id: int, number: int) -> Response:
        with db() as session:
            page = signed_in(request, session)
            _, email = set_aside(request, session, page, record_id)
        if email is None or not 1 <= number <= len(email.attachments):
            raise HTTPException(404)
        attachment = email.attachments[number - 1]
        return _attachment(attachment.data, attachment.name)

    @app.post("/quarantaine/{record_id}/demande")
    async def set_aside_request(request: Request, record_id: int) -> Response:
        form = await request.form()
        with db() as session:
            page = checked(request, session, form)
            record, email = set_aside(request, session, page, record_id)
            if email is None:
                raise HTTPException(404)
            number = _number(str(form.get("piece", "0"))) if form.get("piece") else 0
            fiche = email.attachments[number - 1] \
                if 1 <= number <= len(email.attachments) else None
            try:
                made = actions.request_from_email(session, settings, record, email, fiche,
                                                  page.account.email)
            except ActionError as err:
                session.rollback()
                page.flashes.append(("error", str(err)))
                return email_page(request, session, page, record, email, status=400)
            reference = made.reference
        return _back(reference, "success", "demande-creee")

    @app.post("/quarantaine/{record_id}/rattacher")
    async def set_aside_attach(request: Request, record_id: int) -> Response:
        form = await request.form()
        with db() as session:
            page = checked(request, session, form)
            record, email = set_aside(request, session, page, record_id)
            target = read.find(session, page.viewer,
                               str(form.get("reference", "")).strip().upper())
            if email is None or target is None:
                page.flashes.append(("error", "Aucune demande de cette référence."))
                return email_page(request, session, page, record, email, status=400)
            actions.attach_email(session, settings, record, email, target, page.account.email)
            reference = target.reference
        return _back(reference, "success", "rattache", "conversation")

    @app.post("/quarantaine/{record_id}/relire")
    async def set_aside_replay(request: Request, record_id: int) -> Response:
        form = await request.form()
        with db() as session:
            page = checked(request, session, form)
            record, email = set_aside(request, session, page, record_id)
            if email is None:
                raise HTTPException(404)
            record.replay_requested_at = utcnow()
            session.add(record)
            repo.audit(session, "email.replay", None,
                       f"record {record_id} by {page.account.email}")
        return RedirectResponse("/quarantaine?info=success:relecture", status_code=303)

    @app.post("/quarantaine/{record_id}/classer")
    async def dismiss(request: Request, record_id: int) -> Response:
        form = await request.form()
        with db() as session:
            page = checked(request, session, form)
            record = read.quarantined_email(session, page.viewer, record_id)
            if record is None:
                raise HTTPException(404)
            repo.handled(session, record)
            repo.audit(session, "quarantine.dismissed", None,
                       f"record {record_id} by {page.account.email}")
        return RedirectResponse("/quarantaine?info=success:classe", status_code=303)

    def accounts_page(request: Request, session: Session, page: Page,
                      status: int = 200) -> HTMLResponse:
        return render(request, "comptes.html", "Comptes", page, session, status=status,
                      rows=accounts.accounts(session, page.viewer.circonscription_id),
                      role_of=lambda v: Role(v).label, roles=list(Role))

    @app.get("/comptes", response_class=HTMLResponse)
    def account_list(request: Request) -> Response:
        with db() as session:
            return accounts_page(request, session, allowed(request, session, "administers"))

    @app.post("/comptes")
    async def account_create(request: Request) -> Response:
        form = await request.form()
        with db() as session:
            page = allowed(request, session, "administers", form)
            email = str(form.get("adresse", "")).strip().lower()
            name = str(form.get("nom", "")).strip()[:200]
            try:
                role = Role(str(form.get("role", "")))
            except ValueError:
                raise HTTPException(400) from None
            if not name or "@" not in email or accounts.find_account(session, email):
                page.flashes.append(("error", "Nom et adresse requis ; cette adresse ne doit pas "
                                              "déjà avoir un compte."))
                return accounts_page(request, session, page, status=400)
            password = auth.temporary_password()
            account = auth.new_account(session, email, name, role, password,
                                       page.viewer.circonscription_id)
            repo.audit(session, "account.created", None,
                       f"account {account.id}: {role.value} by {page.account.email}")
            page.flashes.append(("success", f"Compte créé pour {email}. Mot de passe provisoire, "
                                            f"affiché une seule fois : {password}"))
            return accounts_page(request, session, page)

    @app.post("/comptes/{account_id}")
    async def account_update(request: Request, account_id: int) -> Response:
        form = await request.form()
        with db() as session:
            page = allowed(request, session, "administers", form)
            target = accounts.get_account(session, account_id)
            if (target is None or target.circonscription_id != page.viewer.circonscription_id
                    or target.id == page.account.id):
                raise HTTPException(404)
            try:
                target.role = Role(str(form.get("role", ""))).value
            except ValueError:
                raise HTTPException(400) from None
            target.active = form.get("actif") == "1"
            session.add(target)
            if not target.active:
                accounts.revoke_all(session, account_id)
            repo.audit(session, "account.changed", None,
                       f"account {account_id}: {target.role} active={target.active} "
                       f"by {page.account.email}")
        return RedirectResponse("/comptes?info=success:compte", status_code=303)

    @app.get("/mot-de-passe", response_class=HTMLResponse)
    def password_page(request: Request) -> Response:
        with db() as session:
            page = signed_in(request, session)
            return render(request, "mot_de_passe.html", "Mon mot de passe", page, session)

    @app.post("/mot-de-passe")
    async def password_change(request: Request) -> Response:
        form = await request.form()
        with db() as session:
            page = checked(request, session, form)
            if not auth.change_password(session, page.account, str(form.get("actuel", "")),
                                        str(form.get("nouveau", "")), page.row):
                page.flashes.append(("error", "Mot de passe actuel incorrect, ou nouveau mot de "
                                              f"passe de moins de {auth.MIN_PASSWORD} "
                                              "caractères."))
                return render(request, "mot_de_passe.html", "Mon mot de passe", page, session,
                              status=400)
            repo.audit(session, "account.password", None, f"account {page.account.id}")
        return RedirectResponse("/?info=success:mot-de-passe", status_code=303)

    return app


def _attachment(data: bytes, name: str) -> Response:
    """A file the school sent, to download: typed and named by its content, never shown
    inline."""
    suffix, mime = file_type(data)
    name = preview.download_name(name, suffix)
    return Response(data, media_type=mime, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{name}"})


def _back(reference: str, kind: str, what: str, anchor: str = "") -> RedirectResponse:
    query = urlencode({"info": f"{kind}:{what}"})
    return RedirectResponse(f"/demandes/{reference}?{query}{'#' + anchor if anchor else ''}",
                            status_code=303)


_FLASHES = {"corrige": "Corrections enregistrées.",
            "alerte": "Corrections enregistrées. La demande est désormais urgente : l'IEN est "
                      "alerté.",
            "aucun-changement": "Aucune modification.", "statut": "Statut modifié.",
            "note": "Note ajoutée.", "classe": "Courriel classé.",
            "reponse": "Message mis en file d'envoi : il part vers l'école dans la minute.",
            "decision": "Décision enregistrée.",
            "decision-envoyee": "Décision mise en file d'envoi vers l'école.",
            "decision-deja": "Cette décision avait déjà été envoyée à l'école : rien de plus "
                             "n'est envoyé.",
            "reunion": "Demande déplacée à une autre réunion.",
            "ordre-du-jour": "Ordre du jour mis en file d'envoi aux membres du pôle.",
            "ordre-du-jour-sans-destinataire": "Aucun destinataire : ajoutez les membres du "
                                              "pôle dans les réglages ([[pole]]).",
            "decisions": "Décisions mises en file d'envoi vers les écoles.",
            "decisions-deja": "Ces décisions avaient déjà été envoyées : rien de plus n'est "
                              "envoyé.",
            "compte": "Compte modifié.", "mot-de-passe": "Mot de passe changé.",
            "demande-creee": "Demande créée à partir du courriel : saisissez la fiche à côté du "
                             "fichier. L'école reçoit son accusé de réception.",
            "rattache": "Courriel rattaché à la demande.",
            "relecture": "Le courriel sera relu par le service à son prochain passage (dans "
                         "quelques minutes)."}
_LOGIN_ERRORS = {"identifiants": "Identifiant ou mot de passe incorrect, ou compte "
                                 "momentanément bloqué après plusieurs essais.",
                 "jeton": "La page de connexion avait expiré : veuillez réessayer.",
                 "fournisseur": "La connexion par le fournisseur d'identité n'a pas abouti : "
                                "veuillez réessayer, ou utiliser votre mot de passe.",
                 "sans-compte": "Votre identité est vérifiée, mais vous n'avez pas de compte "
                                "actif dans ce bureau : demandez-le à son administrateur."}


def _field_label(key: str) -> str:
    spec = FIELD_BY_KEY.get(key)
    return spec.shown_as if spec else key


def _number(text: str) -> int:
    """A position in a list, from a URL or a form: 1 when it is not one."""
    return max(1, int(text)) if text.isdigit() else 1


def _date_or_none(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


# Why an email was set aside, as the secretariat reads it (routing's reasons are English).
_REASONS = (
    (re.compile(r"^sender domain (.+) is not allowed$"), "Expéditeur hors des domaines "
                                                         "autorisés ({0})"),
    (re.compile(r"^no sender address$"), "Aucune adresse d'expéditeur"),
    (re.compile(r"^names (\S+) but does not come"), "Cite la demande {0} mais ne vient ni de son "
                                                     "école ni de la circonscription"),
    (re.compile(r"^no fiche found in the email"), "Aucune fiche de demande trouvée dans le "
                                                  "courriel"),
    (re.compile(r"^not a request to the pôle"), "Courriel d'une école qui n'est pas une demande"),
    (re.compile(r"^(.+?): (?:unreadable|damaged|encrypted|.*limit)"), "Fichier illisible : {0}"),
)


def french_reason(reason: str | None) -> str:
    for pattern, text in _REASONS:
        m = pattern.search(reason or "")
        if m:
            return text.format(*m.groups())
    return reason or ""


def _filters(templates: Jinja2Templates, zone: ZoneInfo) -> None:
    def moment(value: datetime | None) -> str:
        return value.astimezone(zone).strftime("%d/%m/%Y à %H:%M") if value else ""

    def iso_moment(value: str | None) -> str:
        try:
            return moment(datetime.fromisoformat(value)) if value else ""
        except ValueError:
            return value or ""

    def size(n: int) -> str:
        return f"{n / 1024 / 1024:.1f} Mo" if n >= 1024 * 1024 else f"{max(1, n // 1024)} ko"

    def shown_value(value: Any, key: str) -> str:
        return "" if value in (None, [], "") else shown(key, value)

    def long_day(value: date | None) -> str:
        return date_fr(value) if value else ""

    def iso_day(value: str | None) -> str:
        return day_fr(_date_or_none(value or ""))

    env = templates.env
    env.filters.update(day=day_fr, long_day=long_day, moment=moment, iso_moment=iso_moment,
                       iso_day=iso_day, size=size,
                       shown=shown_value, reason=french_reason, field_label=_field_label,
                       motif_label=motif_label)
