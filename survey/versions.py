"""Publishing questionnaires: one FormVersion per version, never rewritten."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from microcasa.db import utcnow
from survey.errors import Missing, Refused, SurveyError, SurveyProblem
from survey.models import FormVersion, Questionnaire, VersionStatus
from survey.xlsform import Form, ReadResult, read_markdown_form, read_xlsx
from survey.xlsform.definition import from_definition, to_definition


@dataclass(frozen=True)
class Published:
    version: FormVersion
    created: bool  # False when the same file was published before (idempotent)
    warnings: tuple[dict[str, Any], ...]


def read_source(data: bytes, filename: str) -> ReadResult:
    """Read an uploaded questionnaire: .md as markdown tables, anything else as .xlsx."""
    name = PurePath(filename).name
    if name.lower().endswith(".md"):
        return read_markdown_form(data.decode("utf-8", errors="replace"), PurePath(name).stem)
    return read_xlsx(data, name)


def version_key(version: str) -> tuple[tuple[int, Any], ...]:
    """Natural order: 2026112801 < 2026112802, 1.9 < 1.10; digits compare as numbers."""
    parts = re.findall(r"\d+|[^\d]+", version)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def _suggestion(version: str) -> str:
    return str(int(version) + 1) if version.isdigit() else version + ".1"


def publish(
    session: Session,
    data: bytes,
    filename: str,
    *,
    publisher: str,
    publisher_id: int | None = None,
    status: VersionStatus = VersionStatus.DRAFT,
) -> Published:
    """Store a new FormVersion (flushed). Same file again: the existing version, unchanged."""
    result = read_source(data, filename)
    form = result.form
    if not form.version:
        raise SurveyProblem(SurveyError.VERSION_MISSING)
    definition = to_definition(form)
    warnings = tuple(w.as_dict() for w in result.warnings)
    questionnaire = session.exec(
        select(Questionnaire).where(Questionnaire.form_id == form.form_id)
    ).first()
    if questionnaire is None:
        questionnaire = Questionnaire(form_id=form.form_id, title=form.title)
        session.add(questionnaire)
        session.flush()
    assert questionnaire.id is not None
    versions = list(
        session.exec(select(FormVersion).where(FormVersion.questionnaire_id == questionnaire.id))
    )
    same = next((v for v in versions if v.version == form.version), None)
    if same is not None:
        if same.definition == definition:
            return Published(same, created=False, warnings=tuple(same.warnings))
        raise Refused(
            SurveyError.VERSION_CHANGED,
            version=form.version,
            form_id=form.form_id,
            suggestion=_suggestion(max((v.version for v in versions), key=version_key)),
        )
    if versions:
        latest = max((v.version for v in versions), key=version_key)
        if version_key(form.version) <= version_key(latest):
            raise Refused(
                SurveyError.VERSION_NOT_NEWER,
                version=form.version,
                latest=latest,
                form_id=form.form_id,
                suggestion=_suggestion(latest),
            )
    questionnaire.title = form.title
    version = FormVersion(
        questionnaire_id=questionnaire.id,
        version=form.version,
        title=form.title,
        sha256=hashlib.sha256(data).hexdigest(),
        definition=definition,
        warnings=list(warnings),
        source=data,
        source_kind="md" if filename.lower().endswith(".md") else "xlsx",
        status=status.value,
        published_by_id=publisher_id,
        publisher=publisher[:254],
    )
    session.add(questionnaire)
    session.add(version)
    session.flush()
    return Published(version, created=True, warnings=warnings)


def list_questionnaires(session: Session) -> list[tuple[Questionnaire, list[FormVersion]]]:
    questionnaires = session.exec(select(Questionnaire).order_by(col(Questionnaire.form_id)))
    return [(q, versions_of(session, q)) for q in questionnaires]


def versions_of(session: Session, questionnaire: Questionnaire) -> list[FormVersion]:
    versions = session.exec(
        select(FormVersion).where(FormVersion.questionnaire_id == questionnaire.id)
    )
    return sorted(versions, key=lambda v: version_key(v.version), reverse=True)


def get_questionnaire(session: Session, form_id: str) -> Questionnaire:
    questionnaire = session.exec(
        select(Questionnaire).where(Questionnaire.form_id == form_id)
    ).first()
    if questionnaire is None:
        raise Missing(SurveyError.FORM_NOT_FOUND, form_id=form_id[:100])
    return questionnaire


def get_version(session: Session, form_id: str, version: str) -> FormVersion:
    questionnaire = get_questionnaire(session, form_id)
    found = session.exec(
        select(FormVersion).where(
            FormVersion.questionnaire_id == questionnaire.id, FormVersion.version == version
        )
    ).first()
    if found is None:
        raise Missing(SurveyError.VERSION_NOT_FOUND, form_id=form_id[:100], version=version[:50])
    return found


def set_status(session: Session, version: FormVersion, status: str) -> FormVersion:
    try:
        new = VersionStatus(status)
    except ValueError:
        raise SurveyProblem(SurveyError.STATUS_UNKNOWN, status=status[:20]) from None
    if version.status != new.value:
        version.status = new.value
        version.status_changed_at = utcnow()
        session.add(version)
        session.flush()
    return version


def count_versions(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(FormVersion)).one())


# Parsed forms by (version id, sha256 of its source): the same key is the same content.
_FORMS: dict[tuple[int, str], Form] = {}
_FORMS_LIMIT = 64


def form_of(version: FormVersion) -> Form:
    """The Form of a stored version, parsed once per process."""
    assert version.id is not None
    key = (version.id, version.sha256)
    form = _FORMS.get(key)
    if form is None:
        if len(_FORMS) >= _FORMS_LIMIT:
            _FORMS.clear()
        form = _FORMS[key] = from_definition(version.definition)
    return form
