"""JSON API of the survey area: questionnaires and their versions."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get
from litestar.params import FromPath
from pydantic import BaseModel

from microcasa.auth.roles import Role, allow
from microcasa.deps import DbSession
from survey import versions
from survey.models import FormVersion, Questionnaire


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


route_handlers = [FormsApi]
