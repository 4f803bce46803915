"""Respondent pages: invitation links, the open link, consent, page by page, submit, thanks."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Annotated, Any

import pycountry
from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session

from microcasa.auth.roles import public
from microcasa.deps import DbSession, PlatformDep
from microcasa.platform import Platform
from survey import institutions, invitations, respondent, responses, versions
from survey.engine import evaluate_form
from survey.i18n import translator
from survey.messages import Message
from survey.models import (
    FormVersion,
    Invitation,
    InvitationStatus,
    Questionnaire,
    Response,
    ResponseStatus,
)
from survey.presentation import page_view
from survey.xlsform.model import Form, language_code, text_in

FormPost = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
TOKEN_ATTEMPTS_PER_CLIENT = 30
STUDY_LANGUAGES = ("en", "id", "ms", "fil", "de", "it", "es")
TOKEN_WINDOW = timedelta(minutes=15)
NOT_ANSWERS = frozenset({"_csrf_token", "action", "language", "_shown"})
DEFAULT_NOTICE = (
    "Your answers are used only for the MICROCASA comparative study of national "
    "micro-credential frameworks. They are stored on the study's server, reported only in "
    "aggregated form, and never sold or passed on. Contact details serve only to manage "
    "invitations and are deleted after the study. You may stop at any time, and you may ask "
    "the study team to erase your answers."
)


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _admit(platform: Platform, form_id: str, response_id: int) -> Cookie:
    """A new respondent id for this browser, tied to the response: the cookie to set."""
    respondent_id = secrets.token_urlsafe(32)
    respondent.remember(platform.state, respondent_id, response_id)
    lifetime = int(respondent.LIFETIME.total_seconds())
    return _respondent_cookie(platform, form_id, respondent_id, lifetime)


def _respondent_cookie(platform: Platform, form_id: str, value: str, max_age: int | None) -> Cookie:
    return Cookie(
        key=respondent.COOKIE,
        value=value,
        path=f"/s/{form_id}",
        httponly=True,
        samesite="lax",
        secure=platform.settings.secure_cookies,
        max_age=max_age,
    )


def _link_unusable(status: int = 404) -> Template:
    """The one answer for unknown, used, revoked and expired links (in every study language)."""
    return Template(
        template_name="survey/respond/trouble.html",
        context={
            "translators": [(code, translator(code)) for code in STUDY_LANGUAGES],
            "kind": "unusable",
        },
        status_code=status,
    )


def _too_many_attempts(retry_after: int) -> Template:
    """429 with the wait in words (every study language) and in Retry-After."""
    return Template(
        template_name="survey/respond/trouble.html",
        context={
            "translators": [(code, translator(code)) for code in STUDY_LANGUAGES],
            "kind": "attempts",
            "minutes": max(1, -(-retry_after // 60)),
        },
        status_code=429,
        headers={"Retry-After": str(max(1, retry_after))},
    )


def _notice(form: Form, language: str, _: Any) -> tuple[str, str]:
    """The privacy notice in a language, and the version the response records."""
    texts = {
        key.split("::", 1)[1]: value
        for key, value in form.settings.items()
        if key.startswith("privacy_notice::")
    }
    if form.settings.get("privacy_notice"):
        texts.setdefault(form.default_language, form.settings["privacy_notice"])
    text = text_in(texts, language, form.default_language) if texts else _(DEFAULT_NOTICE)
    digest = hashlib.sha256("\n".join(sorted(texts.values())).encode()).hexdigest()[:12]
    return text, f"{form.version}:{digest if texts else 'default'}"


class RespondentController(Controller):
    path = "/"
    include_in_schema = False
    opt = public()

    def _load(
        self, db: Session, platform: Platform, request: Request[Any, Any, Any], form_id: str
    ) -> tuple[Questionnaire, Response | None]:
        # The shared state first: on SQLite a POST's session holds the write lock once used.
        response_id = respondent.recall(platform.state, request.cookies.get(respondent.COOKIE))
        questionnaire = versions.get_questionnaire(db, form_id)
        response = db.get(Response, response_id) if response_id else None
        if response is not None:
            version = db.get(FormVersion, response.form_version_id)
            if version is None or version.questionnaire_id != questionnaire.id:
                response = None
        if response is not None and response.invitation_id is not None:
            # A revoked invitation stops at once, also in browsers that opened it before.
            invitation = db.get(Invitation, response.invitation_id)
            revoked = invitation is None or invitation.status != InvitationStatus.ACTIVE.value
            if revoked and response.status != ResponseStatus.COMPLETE.value:
                response = None
        return questionnaire, response

    def _render_page(
        self,
        form: Form,
        response: Response,
        page: str,
        language: str,
        evaluation: Any = None,
        status: int = 200,
    ) -> Template:
        _ = translator(language)
        judged = evaluation or evaluate_form(form, response.answers, language, pages=[])
        values = respondent.page_values(form, response.answers)
        view = page_view(form, page, language, judged, values)
        visible = list(judged.pages)
        number = visible.index(page) + 1 if page in visible else 1
        return Template(
            template_name="survey/respond/page.html",
            context={
                "title": form.title,
                "_": _,
                "form": form,
                "page": view,
                "number": number,
                "total": len(visible),
                "is_last": respondent.next_page(judged, page) is None,
                "is_first": respondent.previous_page(judged, page) is None,
                "errors": [
                    (name, message)
                    for name in view_names(view)
                    for message in judged.errors.get(name, ())
                ],
                "lang": language_code(language),
                "language": language,
                "language_code": language_code,
                "readonly": False,
            },
            status_code=status,
        )

    @get("/i/{token:str}", sync_to_thread=True)
    def invitation_link(
        self, request: Request[Any, Any, Any], token: FromPath[str], platform: PlatformDep
    ) -> Redirect | Template:
        hit = platform.state.hit("token:client:" + _client(request), TOKEN_WINDOW)
        if hit.count > TOKEN_ATTEMPTS_PER_CLIENT:
            return _too_many_attempts(hit.retry_after)
        # A visit writes (when the link was opened, perhaps a new response). On SQLite a
        # write session takes the lock at BEGIN; a GET's read session, upgraded to write
        # while others write, fails at once with "database is locked" (a 503).
        with platform.db.session(write=True) as db:
            return self._open_invitation(request, token, db, platform)

    def _open_invitation(
        self, request: Request[Any, Any, Any], token: str, db: Session, platform: Platform
    ) -> Redirect | Template:
        invitation = invitations.check_token(db, platform.secret_key, token)
        if invitation is None:
            return _link_unusable()
        questionnaire = db.get(Questionnaire, invitation.questionnaire_id)
        assert questionnaire is not None
        version = responses.open_version(db, questionnaire)
        if version is None:
            return _link_unusable()
        form = versions.form_of(version)
        language = respondent.pick_language(
            form, invitation.language, accept=request.headers.get("accept-language", "")
        )
        response = responses.response_for_invitation(db, invitation, version, language)
        db.commit()
        assert response.id is not None
        redirect = Redirect(path=f"/s/{questionnaire.form_id}", status_code=303)
        redirect.cookies.append(_admit(platform, questionnaire.form_id, response.id))
        return redirect

    @get("/s/{form_id:str}", sync_to_thread=True)
    def start(
        self,
        request: Request[Any, Any, Any],
        form_id: FromPath[str],
        db: DbSession,
        platform: PlatformDep,
        lang: FromQuery[str | None] = None,
    ) -> Redirect | Template:
        questionnaire, response = self._load(db, platform, request, form_id)
        if response is not None:
            if response.status == ResponseStatus.COMPLETE.value:
                return Redirect(path=f"/s/{form_id}/thanks", status_code=303)
            version = db.get(FormVersion, response.form_version_id)
            assert version is not None
            form = versions.form_of(version)
            language = respondent.pick_language(form, lang, response.language)
            if response.consented_at is None:
                return self._start_page(form, language, form_id, open_link=False)
            evaluation = evaluate_form(form, response.answers, language, pages=[])
            page = response.page if response.page in evaluation.pages else evaluation.pages[0]
            return Redirect(
                path=f"/s/{form_id}/p/{page}?lang={language_code(language)}", status_code=303
            )
        version = responses.open_version(db, questionnaire)
        if version is None or not questionnaire.open_link:
            return _link_unusable()
        form = versions.form_of(version)
        language = respondent.pick_language(
            form, lang, accept=request.headers.get("accept-language", "")
        )
        return self._start_page(form, language, form_id, open_link=True)

    def _start_page(
        self,
        form: Form,
        language: str,
        form_id: str,
        *,
        open_link: bool,
        status: int = 200,
        error: str = "",
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
    ) -> Template:
        """The privacy notice and consent; through the open link, also country and institution."""
        _ = translator(language)
        notice, _version = _notice(form, language, _)
        return Template(
            template_name="survey/respond/consent.html",
            context={
                "title": form.title,
                "_": _,
                "form": form,
                "notice": notice,
                "form_id": form_id,
                "lang": language_code(language),
                "language": language,
                "language_code": language_code,
                "open_link": open_link,
                "countries": _countries(form, language) if open_link else [],
                "error": error,
                "errors": errors or {},
                "values": values or {},
            },
            status_code=status,
        )

    @post("/s/{form_id:str}/consent", sync_to_thread=True, status_code=303)
    def consent(
        self,
        request: Request[Any, Any, Any],
        form_id: FromPath[str],
        data: FormPost,
        db: DbSession,
        platform: PlatformDep,
    ) -> Redirect | Template:
        questionnaire, response = self._load(db, platform, request, form_id)
        if response is None:
            return self._start_open_link(request, questionnaire, data, db, platform)
        if response.status == ResponseStatus.COMPLETE.value:
            return Redirect(path=f"/s/{form_id}/thanks", status_code=303)
        version = db.get(FormVersion, response.form_version_id)
        assert version is not None
        form = versions.form_of(version)
        language = respondent.pick_language(form, data.get("language"), response.language)
        _ = translator(language)
        if data.get("consent") != "yes":
            return self._start_page(
                form,
                language,
                form_id,
                open_link=False,
                status=422,
                error=_("Please confirm that you have read the notice and agree to take part."),
            )
        response.language = language  # the language chosen on the notice is the pages' too
        responses.record_consent(db, response, _notice(form, language, _)[1])
        db.commit()
        return Redirect(path=f"/s/{form_id}?lang={language_code(language)}", status_code=303)

    def _start_open_link(
        self,
        request: Request[Any, Any, Any],
        questionnaire: Questionnaire,
        data: dict[str, Any],
        db: Session,
        platform: Platform,
    ) -> Redirect | Template:
        version = responses.open_version(db, questionnaire)
        if version is None or not questionnaire.open_link:
            return _link_unusable()
        form = versions.form_of(version)
        language = respondent.pick_language(form, data.get("language"))
        _ = translator(language)
        errors: dict[str, str] = {}
        country = str(data.get("country", "")).strip().upper()
        name = institutions.clean_name(str(data.get("institution", "")))
        if data.get("consent") != "yes":
            errors["consent"] = _(
                "Please confirm that you have read the notice and agree to take part."
            )
        if len(country) != 2 or pycountry.countries.get(alpha_2=country) is None:
            errors["country"] = _("Choose your country.")
        if not name:
            errors["institution"] = _("Write the name of your institution.")
        elif "\x00" in name:  # PostgreSQL text cannot hold it
            errors["institution"] = Message.CONTROL_CHARACTER.text(language)
        if errors:
            values = {"country": country, "institution": name}
            return self._start_page(
                form,
                language,
                questionnaire.form_id,
                open_link=True,
                status=422,
                errors=errors,
                values=values,
            )
        institution, _added = institutions.find_or_add(
            db, country=country, name=name, source="open_link"
        )
        response, code = responses.start_open_link(
            db,
            platform.secret_key,
            version,
            country=country,
            institution_id=institution.id,
            institution_name=institution.name,
            language=language,
        )
        responses.record_consent(db, response, _notice(form, language, _)[1])
        db.commit()
        assert response.id is not None
        cookie = _admit(platform, questionnaire.form_id, response.id)
        first = evaluate_form(form, {}, language, pages=[]).pages[0]
        page = Template(
            template_name="survey/respond/resume_code.html",
            context={
                "title": form.title,
                "_": _,
                "code": code,
                "form_id": questionnaire.form_id,
                "next": f"/s/{questionnaire.form_id}/p/{first}?lang={language_code(language)}",
                "lang": language_code(language),
            },
            status_code=201,
        )
        page.cookies.append(cookie)
        return page

    @get("/s/{form_id:str}/p/{page:str}", sync_to_thread=True)
    def show_page(
        self,
        request: Request[Any, Any, Any],
        form_id: FromPath[str],
        page: FromPath[str],
        db: DbSession,
        platform: PlatformDep,
        lang: FromQuery[str | None] = None,
    ) -> Redirect | Template:
        _questionnaire, response = self._load(db, platform, request, form_id)
        if response is None or response.consented_at is None:
            return Redirect(path=f"/s/{form_id}", status_code=303)
        if response.status == ResponseStatus.COMPLETE.value:
            return Redirect(path=f"/s/{form_id}/thanks", status_code=303)
        version = db.get(FormVersion, response.form_version_id)
        assert version is not None
        form = versions.form_of(version)
        language = respondent.pick_language(form, lang, response.language)
        evaluation = evaluate_form(form, response.answers, language, pages=[])
        if page not in evaluation.pages:
            return Redirect(path=f"/s/{form_id}", status_code=303)
        return self._render_page(form, response, page, language, evaluation)

    @post("/s/{form_id:str}/p/{page:str}", sync_to_thread=True, status_code=303)
    def save_page(
        self,
        request: Request[Any, Any, Any],
        form_id: FromPath[str],
        page: FromPath[str],
        data: FormPost,
        db: DbSession,
        platform: PlatformDep,
    ) -> Redirect | Template:
        _questionnaire, response = self._load(db, platform, request, form_id)
        if response is None or response.consented_at is None:
            return Redirect(path=f"/s/{form_id}", status_code=303)
        if response.status == ResponseStatus.COMPLETE.value:
            return Redirect(path=f"/s/{form_id}/thanks", status_code=303)
        version = db.get(FormVersion, response.form_version_id)
        assert version is not None
        form = versions.form_of(version)
        if page not in {p.name for p in form.pages}:
            return Redirect(path=f"/s/{form_id}", status_code=303)
        action = str(data.get("action", "next"))
        language = response.language
        if action.startswith("lang:"):
            language = respondent.pick_language(
                form, action.removeprefix("lang:"), response.language
            )
        answers = {k: v for k, v in data.items() if k not in NOT_ANSWERS}
        checked = responses.save_page(db, response, form, page, answers, language)
        if response.status == ResponseStatus.COMPLETE.value:  # another browser just submitted
            return Redirect(path=f"/s/{form_id}/thanks", status_code=303)
        whole = evaluate_form(form, response.answers, language, pages=[])
        following = respondent.next_page(whole, page)
        previous = respondent.previous_page(whole, page) or page
        # Coming back later opens the page the respondent went on to, not the one posted.
        if action == "back":
            response.page = previous
        elif action != "save" and not action.startswith("lang:") and checked.valid and following:
            response.page = following
        db.commit()
        query = f"?lang={language_code(language)}"
        if action == "save" and responses.unkeepable(answers):
            # Nothing is said to be saved that was not: the page again, with its errors.
            return self._render_page(form, response, page, language, checked, status=422)
        if action == "save":
            _ = translator(language)
            return Template(
                template_name="survey/respond/saved.html",
                context={
                    "title": form.title,
                    "_": _,
                    "form_id": form_id,
                    "response": response,
                    "lang": language_code(language),
                    "back": f"/s/{form_id}/p/{page}{query}",
                },
            )
        if action.startswith("lang:"):
            return Redirect(path=f"/s/{form_id}/p/{page}{query}", status_code=303)
        if action == "back":
            return Redirect(path=f"/s/{form_id}/p/{previous}{query}", status_code=303)
        if not checked.valid:
            return self._render_page(form, response, page, language, checked, status=422)
        shown = data.get("_shown")
        if isinstance(shown, str) and _newly_shown(form, page, whole.visible, shown):
            # Without JavaScript, a follow-up question on this page appears only now.
            return self._render_page(form, response, page, language, whole)
        if following is not None:
            return Redirect(path=f"/s/{form_id}/p/{following}{query}", status_code=303)
        return self._finish(form, response, language, form_id, db)

    def _finish(
        self, form: Form, response: Response, language: str, form_id: str, db: Session
    ) -> Redirect | Template:
        try:
            outcome = responses.submit_racing(db, response, language)
        except responses.AlreadyCompleted:
            return Redirect(path=f"/s/{form_id}/thanks", status_code=303)
        if not outcome.completed:
            first_bad = next(
                (
                    p
                    for p in outcome.evaluation.pages
                    if any(
                        q in outcome.evaluation.errors
                        for q in next(pg.questions for pg in form.pages if pg.name == p)
                    )
                ),
                outcome.evaluation.pages[0],
            )
            db.rollback()
            return self._render_page(
                form,
                response,
                first_bad,
                language,
                evaluate_form(form, response.answers, language, pages=[first_bad]),
                status=422,
            )
        db.commit()
        return Redirect(path=f"/s/{form_id}/thanks", status_code=303)

    @post("/s/{form_id:str}/p/{page:str}/live", sync_to_thread=True, status_code=200)
    def live(
        self,
        request: Request[Any, Any, Any],
        form_id: FromPath[str],
        page: FromPath[str],
        data: FormPost,
        db: DbSession,
        platform: PlatformDep,
    ) -> Template:
        """The page's questions again, for htmx: visibility and choices after an answer changed."""
        _questionnaire, response = self._load(db, platform, request, form_id)
        if response is None or response.status == ResponseStatus.COMPLETE.value:
            return Template(
                template_name="survey/respond/_gone.html",
                context={"_": translator(response.language if response else "en")},
                status_code=409,
            )
        version = db.get(FormVersion, response.form_version_id)
        assert version is not None
        form = versions.form_of(version)
        if page not in {p.name for p in form.pages}:
            return Template(
                template_name="survey/respond/_gone.html",
                context={"_": translator(response.language if response else "en")},
                status_code=409,
            )
        answers = {
            k: v
            for k, v in response.answers.items()
            if k not in next(p.questions for p in form.pages if p.name == page)
        }
        answers.update(
            {k: v for k, v in data.items() if k not in NOT_ANSWERS and v not in ("", [])}
        )
        evaluation = evaluate_form(form, answers, response.language, pages=[])
        view = page_view(
            form, page, response.language, evaluation, respondent.page_values(form, answers)
        )
        return Template(
            template_name="survey/respond/_blocks.html",
            context={"page": view, "_": translator(response.language), "readonly": False},
        )

    @get("/s/{form_id:str}/thanks", sync_to_thread=True)
    def thanks(
        self,
        request: Request[Any, Any, Any],
        form_id: FromPath[str],
        db: DbSession,
        platform: PlatformDep,
        lang: FromQuery[str | None] = None,
    ) -> Redirect | Template:
        _questionnaire, response = self._load(db, platform, request, form_id)
        if response is None:
            return Redirect(path=f"/s/{form_id}", status_code=303)
        if response.status != ResponseStatus.COMPLETE.value:
            return Redirect(path=f"/s/{form_id}", status_code=303)
        version = db.get(FormVersion, response.form_version_id)
        assert version is not None
        form = versions.form_of(version)
        language = respondent.pick_language(form, lang, response.language)
        _ = translator(language)
        evaluation = evaluate_form(form, response.answers, language)
        values = respondent.page_values(form, response.answers)
        pages = [page_view(form, p, language, evaluation, values) for p in evaluation.pages]
        return Template(
            template_name="survey/respond/thanks.html",
            context={
                "title": form.title,
                "_": _,
                "form": form,
                "pages": pages,
                "response": response,
                "lang": language_code(language),
            },
        )

    @get("/s/{form_id:str}/resume", sync_to_thread=True)
    def resume_page(
        self, form_id: FromPath[str], db: DbSession, lang: FromQuery[str | None] = None
    ) -> Template:
        questionnaire = versions.get_questionnaire(db, form_id)
        _ = translator(lang or "en")
        return Template(
            template_name="survey/respond/resume.html",
            context={
                "title": questionnaire.title,
                "_": _,
                "form_id": form_id,
                "lang": lang or "en",
                "error": "",
            },
        )

    @post("/s/{form_id:str}/resume", sync_to_thread=True, status_code=303)
    def resume(
        self,
        request: Request[Any, Any, Any],
        form_id: FromPath[str],
        data: FormPost,
        db: DbSession,
        platform: PlatformDep,
    ) -> Redirect | Template:
        hit = platform.state.hit("resume:client:" + _client(request), TOKEN_WINDOW)
        questionnaire = versions.get_questionnaire(db, form_id)
        lang = str(data.get("language", "en"))
        _ = translator(lang)
        found = None
        if hit.count <= TOKEN_ATTEMPTS_PER_CLIENT:
            found = responses.find_by_resume_code(
                db, platform.secret_key, str(data.get("code", ""))
            )
        version = db.get(FormVersion, found.form_version_id) if found else None
        if found is None or version is None or version.questionnaire_id != questionnaire.id:
            return Template(
                template_name="survey/respond/resume.html",
                context={
                    "title": questionnaire.title,
                    "_": _,
                    "form_id": form_id,
                    "lang": lang,
                    "error": _("This code does not open a response. Check it and try again."),
                },
                status_code=429 if hit.count > TOKEN_ATTEMPTS_PER_CLIENT else 422,
            )
        response_id = found.id  # read before the rollback, which expires ``found``
        assert response_id is not None
        db.rollback()  # nothing to write here; frees SQLite's write lock for the shared state
        redirect = Redirect(path=f"/s/{form_id}", status_code=303)
        redirect.cookies.append(_admit(platform, form_id, response_id))
        return redirect


def _countries(form: Form, language: str) -> list[tuple[str, str]]:
    """The country choices of question a1 (two-letter codes), for the open-link start page."""
    question = next((q for q in form.questions if q.name == "a1" and q.is_select), None)
    if question is None:
        return []
    return [
        (choice.name, text_in(choice.labels, language, form.default_language))
        for choice in form.choices_for(question).choices
        if len(choice.name) == 2
    ]


def _newly_shown(form: Form, page: str, visible: frozenset[str], shown: str) -> bool:
    """Whether answers on this page made questions appear that the respondent has not seen."""
    seen = set(shown.split())
    questions = next(p.questions for p in form.pages if p.name == page)
    return any(
        name in visible and name not in seen and form.question(name).is_answerable
        for name in questions
    )


def view_names(view: Any) -> list[str]:
    return [q.name for block in view.blocks for q in block.questions]


route_handlers = [RespondentController]
