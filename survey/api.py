"""JSON API of the survey area: questionnaires and their versions."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    ClientException,
    NotAuthorizedException,
    PermissionDeniedException,
    SerializationException,
    TooManyRequestsException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, JSONBody
from pydantic import BaseModel
from sqlmodel import Session, col, select

from microcasa.auth.guards import current_identity
from microcasa.auth.roles import Role, allow, public
from microcasa.deps import DbSession, PlatformDep
from survey import invitations, versions
from survey.errors import SurveyError
from survey.models import FormVersion, Invitation, Questionnaire
from survey.models import Response as StoredResponse
from survey.respondent_routes import TOKEN_ATTEMPTS_PER_CLIENT, TOKEN_WINDOW, _client
from survey.submissions import Receipt, Stored, judge, store
from survey.tokens import digest

SUBMITTERS = frozenset({Role.ADMIN, Role.RESEARCHER, Role.COORDINATOR})


class VersionOut(BaseModel):
    version: str
    title: str
    status: str
    sha256: str
    published_at: datetime
    publisher: str
    languages: list[str]


class QuestionnaireOut(BaseModel):
    form_id: str
    title: str
    versions: list[VersionOut]


def _out(questionnaire: Questionnaire, items: list[FormVersion]) -> QuestionnaireOut:
    return QuestionnaireOut(
        form_id=questionnaire.form_id,
        title=questionnaire.title,
        versions=[
            VersionOut(
                version=v.version,
                title=v.title,
                status=v.status,
                sha256=v.sha256,
                published_at=v.published_at,
                publisher=v.publisher,
                languages=list(v.definition.get("languages", [])),
            )
            for v in items
        ],
    )


class FormsApi(Controller):
    path = "/api/forms"
    tags = ("questionnaires",)
    opt = allow(Role.ADMIN, Role.RESEARCHER, Role.COORDINATOR)

    @get("/", operation_id="listForms", sync_to_thread=True)
    def list_forms(self, db: DbSession) -> list[QuestionnaireOut]:
        """Every questionnaire with its versions, newest first."""
        return [_out(q, items) for q, items in versions.list_questionnaires(db)]

    @get("/{form_id:str}", operation_id="getForm", sync_to_thread=True)
    def get_form(self, form_id: FromPath[str], db: DbSession) -> QuestionnaireOut:
        """One questionnaire with its versions, newest first."""
        questionnaire = versions.get_questionnaire(db, form_id)
        return _out(questionnaire, versions.versions_of(db, questionnaire))


class SubmissionOut(BaseModel):
    id: int
    instance_id: str
    status: str


def submitter_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:  # type: ignore[type-arg]
    """Before the body is read: an invitation token (checked by the handler) or a staff role."""
    if connection.headers.get("x-invitation-token") is not None:
        return
    identity = current_identity(connection)
    if identity is None:
        raise NotAuthorizedException("Send a staff API token or the invitation token.")
    if identity.role not in SUBMITTERS:
        raise PermissionDeniedException("Your role does not allow this.")


async def refuse_deep_json(request: Request[Any, Any, Any]) -> None:
    """A body nested too deeply for the JSON decoder is a 400, not a RecursionError (500)."""
    try:
        await request.json()
    except SerializationException as exc:
        raise ClientException(str(exc)) from None  # as Litestar answers malformed JSON
    except RecursionError:
        raise ClientException("The JSON body is nested too deeply.") from None


class SubmissionsApi(Controller):
    """Complete responses from other tools or offline collection; retries are safe."""

    path = "/api/forms/{form_id:str}/submissions"
    tags = ("submissions",)
    # Respondents have no account: their invitation token stands in for one (submitter_guard).
    opt = public()
    guards = (submitter_guard,)

    @post("/", operation_id="submitResponse", sync_to_thread=True, before_request=refuse_deep_json)
    def submit(
        self,
        request: Request[Any, Any, Any],
        form_id: FromPath[str],
        data: JSONBody[dict[str, Any]],
        platform: PlatformDep,
    ) -> Response[SubmissionOut]:
        """Store one complete response: 201 when stored, 200 for an identical retry.

        Authenticate with `Authorization: Bearer <staff API token>` (admin, researcher,
        or a coordinator for their own country) or with `X-Invitation-Token: <token>`
        from the respondent's invitation. 409 when the same `instance_id` arrives with
        other content; 422 with `errors` per question.
        """
        identity = current_identity(request)
        scope: str | None = None
        token = request.headers.get("x-invitation-token")
        if token is not None:
            hit = platform.state.hit("token:client:" + _client(request), TOKEN_WINDOW)
            if hit.count > TOKEN_ATTEMPTS_PER_CLIENT:
                raise TooManyRequestsException(
                    "Too many attempts from this client; try again later.",
                    headers={"Retry-After": str(max(1, hit.retry_after))},
                )
        elif identity is not None and identity.role is Role.COORDINATOR:
            scope = identity.country
        # Judged on a read session; only the insert joins the group commit, so the
        # write lock is held for the inserts and one flush to disk, not for the checks.
        with platform.db.session() as db:
            questionnaire = versions.get_questionnaire(db, form_id)
            invitation = None
            if token is not None:
                invitation = invitations.check_token(db, platform.secret_key, token)
                if invitation is None or invitation.questionnaire_id != questionnaire.id:
                    retried = _retry_of(db, platform.secret_key, token, data)
                    if retried is None:
                        raise PermissionDeniedException(SurveyError.INVITATION_INVALID.value)
                    invitation = None
            judged = judge(
                db,
                questionnaire,
                data,
                invitation=invitation,
                country_scope=scope,
                submitted_by_id=identity.id if identity and token is None else None,
            )
        if isinstance(judged, Stored):
            receipt = Receipt.of(judged)
        else:
            receipt = platform.db.group_commit(partial(store, accepted=judged))
        return Response(
            SubmissionOut(id=receipt.id, instance_id=receipt.instance_id, status=receipt.status),
            status_code=201 if receipt.created else 200,
        )


def _retry_of(
    db: Session, secret_key: str, token: str, data: dict[str, Any]
) -> StoredResponse | None:
    """A retry of a submission stored before with this (now used) invitation token.

    Only the token's own submissions count: any other token learns nothing about
    which instance ids are stored.
    """
    instance = data.get("instance_id")
    if not isinstance(instance, str) or not token or len(token) > 100:
        return None
    return db.exec(
        select(StoredResponse)
        .join(Invitation, col(Invitation.id) == col(StoredResponse.invitation_id))
        .where(
            StoredResponse.instance_id == instance.strip().lower().removeprefix("uuid:"),
            Invitation.token_hmac == digest(secret_key, invitations.PURPOSE, token),
        )
    ).first()


route_handlers = [FormsApi, SubmissionsApi]
