"""Staff pages for fieldwork: invitations, the open link, the response monitor, viewer, erasure."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Response, Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from sqlmodel import Session

from microcasa.auth.guards import ensure_country_scope, signed_in
from microcasa.auth.roles import Role, allow
from microcasa.auth.service import Identity
from microcasa.db import utcnow
from microcasa.deps import DbSession, PlatformDep
from microcasa.flash import redirect_with_flash, with_flash
from survey import fieldwork, invitations, responses, versions
from survey.engine import evaluate_form
from survey.errors import ImportRefused, SurveyError
from survey.models import FormVersion, Institution, Invitation
from survey.models import Response as StoredResponse
from survey.presentation import page_view
from survey.respondent import page_values

EDITORS = allow(Role.ADMIN, Role.RESEARCHER)
FOLLOWERS = allow(Role.ADMIN, Role.RESEARCHER, Role.COORDINATOR)
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
UploadData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


DAYS_PROBLEM = "The number of days must be a whole number from 1 to 365."


def _expiry_days(value: object) -> int | None:
    """Days until links expire: None when left blank; ValueError unless a number 1–365."""
    text = str(value or "").strip()
    if not text:
        return None
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if not re.fullmatch(r"[0-9]{1,3}", text) or not 1 <= int(text) <= 365:
        raise ValueError(DAYS_PROBLEM)
    return int(text)


def _scope(identity: Identity) -> str | None:
    return identity.country if identity.role is Role.COORDINATOR else None


class FieldworkController(Controller):
    path = "/forms/{form_id:str}"
    include_in_schema = False

    @get("/invitations", opt=EDITORS, sync_to_thread=True)
    def invitations_page(self, form_id: FromPath[str], db: DbSession) -> Template:
        questionnaire = versions.get_questionnaire(db, form_id)
        items = invitations.list_invitations(db, questionnaire)
        names = {i.id: i for i in db.exec(_institutions_of(items))} if items else {}
        return Template(
            template_name="survey/invitations.html",
            context={
                "title": f"Invitations – {questionnaire.title}",
                "questionnaire": questionnaire,
                "items": items,
                "institutions": names,
                "open_version": responses.open_version(db, questionnaire),
                "now": utcnow(),
            },
        )

    @post("/invitations/import", opt=EDITORS, sync_to_thread=True, status_code=200)
    def import_invitations(
        self, form_id: FromPath[str], data: UploadData, db: DbSession, platform: PlatformDep
    ) -> Response[Any] | Template:
        questionnaire = versions.get_questionnaire(db, form_id)
        version = responses.open_version(db, questionnaire) or _newest(db, questionnaire)
        upload = data.get("file")
        problems: list[str] = []
        if version is None:
            problems = [SurveyError.NOT_OPEN.format(form_id=form_id)]
        elif not isinstance(upload, UploadFile) or not upload.filename:
            problems = ["Choose a CSV or .xlsx file of institutions."]
        try:
            days = _expiry_days(data.get("expires_in_days"))
        except ValueError:
            problems.append(DAYS_PROBLEM)
            days = None
        if not problems:
            assert isinstance(upload, UploadFile) and version is not None
            content = upload.file.read(platform.settings.upload_max_bytes + 1)
            try:
                rows = invitations.read_invitee_file(
                    content, upload.filename, versions.form_of(version)
                )
            except ImportRefused as exc:
                problems = exc.problems
        if problems:
            return Template(
                template_name="survey/invitations_refused.html",
                context={
                    "title": "Invitations not imported",
                    "questionnaire": questionnaire,
                    "problems": problems,
                },
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        expires = utcnow() + timedelta(days=days) if days else None
        result = invitations.invite(db, platform.secret_key, questionnaire, rows, expires)
        db.commit()
        text = invitations.mail_merge_csv(platform.settings.base_url, result.issued)
        stamp = utcnow().strftime("%Y%m%d-%H%M")
        message = (
            f"{len(result.issued)} invitation(s) created; their links are in the downloaded CSV."
        )
        if result.duplicates:
            message += f" {len(result.duplicates)} already invited, skipped: " + "; ".join(
                result.duplicates[:10]
            )
        download = Response(
            text.encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="invitations-{form_id}-{stamp}.csv"',
                "Cache-Control": "no-store",
            },
        )
        return with_flash(
            download, platform.secret_key, message, "success", platform.settings.secure_cookies
        )

    @post(
        "/invitations/{invitation_id:int}/revoke", opt=EDITORS, sync_to_thread=True, status_code=303
    )
    def revoke(
        self,
        form_id: FromPath[str],
        invitation_id: FromPath[int],
        db: DbSession,
        platform: PlatformDep,
    ) -> Redirect:
        invitation = _invitation(db, form_id, invitation_id)
        invitations.revoke(db, invitation)
        db.commit()
        return redirect_with_flash(
            platform,
            f"/forms/{form_id}/invitations",
            f"Invitation {invitation_id} revoked; its link no longer works.",
            "success",
        )

    @post(
        "/invitations/{invitation_id:int}/reissue",
        opt=EDITORS,
        sync_to_thread=True,
        status_code=200,
    )
    def reissue(
        self,
        form_id: FromPath[str],
        invitation_id: FromPath[int],
        data: FormData,
        db: DbSession,
        platform: PlatformDep,
    ) -> Template | Redirect:
        invitation = _invitation(db, form_id, invitation_id)
        try:
            days = _expiry_days(data.get("expires_in_days"))
        except ValueError:
            return redirect_with_flash(
                platform,
                f"/forms/{form_id}/invitations",
                DAYS_PROBLEM,
                "error",
            )
        token = invitations.reissue(db, platform.secret_key, invitation, days)
        db.commit()
        return Template(
            template_name="survey/reissued.html",
            context={
                "title": "New invitation link",
                "form_id": form_id,
                "invitation": invitation,
                "link": f"{platform.settings.base_url}/i/{token}",
            },
        )

    @post("/open-link", opt=EDITORS, sync_to_thread=True, status_code=303)
    def open_link(
        self, form_id: FromPath[str], data: FormData, db: DbSession, platform: PlatformDep
    ) -> Redirect:
        questionnaire = versions.get_questionnaire(db, form_id)
        questionnaire.open_link = data.get("open_link") == "1"
        db.add(questionnaire)
        db.commit()
        state = "on" if questionnaire.open_link else "off"
        return redirect_with_flash(
            platform,
            f"/forms/{form_id}/invitations",
            f"The open link is {state}.",
            "success",
        )

    @get("/responses", opt=FOLLOWERS, sync_to_thread=True)
    def monitor(
        self, request: Request[Any, Any, Any], form_id: FromPath[str], db: DbSession
    ) -> Template:
        identity = signed_in(request)
        questionnaire = versions.get_questionnaire(db, form_id)
        scope = _scope(identity)
        progress = fieldwork.progress(db, questionnaire, scope)
        peak = max((n for _, n in progress.completed_per_day), default=0)
        return Template(
            template_name="survey/monitor.html",
            context={
                "title": f"Responses – {questionnaire.title}",
                "questionnaire": questionnaire,
                "progress": progress,
                "peak": peak,
                "responses": fieldwork.list_responses(db, questionnaire, scope),
                "scope": scope,
            },
        )

    @get("/responses/{response_id:int}", opt=FOLLOWERS, sync_to_thread=True)
    def view_response(
        self,
        request: Request[Any, Any, Any],
        form_id: FromPath[str],
        response_id: FromPath[int],
        db: DbSession,
    ) -> Template:
        response = _response(db, form_id, response_id)
        ensure_country_scope(signed_in(request), response.country or "--")
        version = db.get(FormVersion, response.form_version_id)
        assert version is not None
        form = versions.form_of(version)
        evaluation = evaluate_form(form, response.answers, form.default_language)
        values = page_values(form, response.answers)
        pages = [
            page_view(form, p, form.default_language, evaluation, values) for p in evaluation.pages
        ]
        return Template(
            template_name="survey/response.html",
            context={
                "title": f"Response {response.id}",
                "response": response,
                "form": form,
                "pages": pages,
                "version": version,
            },
        )

    @post("/responses/{response_id:int}/erase", opt=EDITORS, sync_to_thread=True, status_code=303)
    def erase(
        self,
        request: Request[Any, Any, Any],
        form_id: FromPath[str],
        response_id: FromPath[int],
        data: FormData,
        db: DbSession,
        platform: PlatformDep,
    ) -> Redirect:
        identity = signed_in(request)
        response = _response(db, form_id, response_id)
        reason = data.get("reason", "").strip()
        if not reason or "\x00" in reason:  # PostgreSQL cannot store a NUL
            return redirect_with_flash(
                platform,
                f"/forms/{form_id}/responses/{response_id}",
                "Give the reason for the erasure (e.g. the respondent's request)."
                if not reason
                else "The reason cannot hold a null character; type it again.",
                "error",
            )
        fieldwork.erase(db, response, actor=identity.email, actor_id=identity.id, reason=reason)
        db.commit()
        return redirect_with_flash(
            platform,
            f"/forms/{form_id}/responses",
            f"Response {response_id} erased: answers, contact details and link are gone.",
            "success",
        )


def _newest(db: Any, questionnaire: Any) -> FormVersion | None:
    items = versions.versions_of(db, questionnaire)
    return items[0] if items else None


def _institutions_of(items: list[Invitation]) -> Any:
    from sqlmodel import col, select

    return select(Institution).where(col(Institution.id).in_({i.institution_id for i in items}))


def _invitation(db: Session, form_id: str, invitation_id: int) -> Invitation:
    questionnaire = versions.get_questionnaire(db, form_id)
    invitation = db.get(Invitation, invitation_id)
    if invitation is None or invitation.questionnaire_id != questionnaire.id:
        raise NotFoundException("There is no such invitation.")
    return invitation


def _response(db: Session, form_id: str, response_id: int) -> StoredResponse:
    questionnaire = versions.get_questionnaire(db, form_id)
    response = db.get(StoredResponse, response_id)
    version = db.get(FormVersion, response.form_version_id) if response else None
    if response is None or version is None or version.questionnaire_id != questionnaire.id:
        raise NotFoundException("There is no such response.")
    return response


route_handlers = [FieldworkController]
