"""What the analysis pages ask of the database: forms to analyse, reports, progress.

Reports are built by :func:`analysis.report.build_report` from the complete
responses; a built report is kept in memory until a response of its form is
added, changed or erased (the cache key holds the count, the last id and the
last change of the form's complete responses), so paging through the tables
does not rebuild them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, case, func
from sqlmodel import Session, col, select

from analysis.errors import AnalysisError, AnalysisProblem
from analysis.filters import FilterInvalid
from analysis.frame import META_COLUMNS, Frame, load_responses
from analysis.report import Report, Section, build_report
from analysis.table_model import SUPPRESS_BELOW, Table, suppress
from analysis.variables import Kind
from survey.models import FormVersion, Questionnaire, Response, ResponseStatus
from survey.versions import form_of, get_questionnaire, get_version
from survey.xlsform.model import Form, language_code

GROUPING_META = ("country", "institution_type", "language", "form_version")
_CACHE_SIZE = 16
T = TypeVar("T")


@dataclass(frozen=True)
class FormChoice:
    """A questionnaire that can be analysed, with its count of complete responses."""

    form_id: str
    title: str
    complete: int
    synthetic: int


@dataclass(frozen=True)
class Analysis:
    """A report and what the page needs beside it."""

    report: Report
    form: Form
    groupings: tuple[tuple[str, str], ...]  # (name, label): what tables can be split by
    languages: tuple[tuple[str, str], ...]  # (code, label) of the questionnaire
    synthetic: int  # synthetic responses among those counted
    suppressed_below: int | None  # small counts hidden (organisers), or None


class _Recent(Generic[T]):
    """Values by what they were built from, the most recent few (shared by server threads).

    Keys are tuples that start with (database, form_id, fingerprint): a value built from
    responses that have changed since is dropped as soon as a newer one is put, so a
    questionnaire in fieldwork never holds more than its current frame and reports.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[Hashable, T] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> T | None:
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key: tuple[object, ...], value: T) -> None:
        with self.lock:
            for old in [k for k in self.items if isinstance(k, tuple) and _stale(k, key)]:
                del self.items[old]
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


def _stale(old: tuple[object, ...], new: tuple[object, ...]) -> bool:
    """Built from the same questionnaire in the same database, from other responses."""
    return old[:2] == new[:2] and old[2] != new[2]


FRAMES: _Recent[tuple[Frame, Form]] = _Recent(4)
REPORTS: _Recent[Report] = _Recent(_CACHE_SIZE)


def _complete(questionnaire: Questionnaire) -> list[ColumnElement[bool]]:
    return [
        col(Response.form_version_id).in_(
            select(col(FormVersion.id)).where(FormVersion.questionnaire_id == questionnaire.id)
        ),
        col(Response.status) == ResponseStatus.COMPLETE.value,
    ]


def analysable_forms(session: Session) -> list[FormChoice]:
    """Every questionnaire with a published version, with its complete and synthetic counts."""
    choices = []
    for questionnaire in session.exec(select(Questionnaire).order_by(col(Questionnaire.title))):
        found = fingerprint(session, questionnaire)
        choices.append(
            FormChoice(questionnaire.form_id, questionnaire.title, found.complete, found.synthetic)
        )
    return choices


@dataclass(frozen=True)
class Fingerprint:
    """What changes when a complete response is added, changed or erased."""

    complete: int
    last_id: int | None
    last_change: object
    synthetic: int


def fingerprint(session: Session, questionnaire: Questionnaire) -> Fingerprint:
    """The complete responses of a questionnaire: how many, the last, how many synthetic."""
    synthetic = func.coalesce(func.sum(case((col(Response.synthetic), 1), else_=0)), 0)
    row = session.exec(
        select(
            func.count(),
            func.max(col(Response.id)),
            func.max(col(Response.updated_at)),
            synthetic,
        ).where(*_complete(questionnaire))
    ).one()
    return Fingerprint(int(row[0]), row[1], row[2], int(row[3]))


def groupings(frame: Frame, form: Form, language: str) -> tuple[tuple[str, str], ...]:
    """What tables can be split by: the response's columns, then single-choice questions."""
    words = {
        "country": "Country",
        "institution_type": "Institution type",
        "language": "Language of the answers",
        "form_version": "Form version",
    }
    found = [(name, words[name]) for name in GROUPING_META if name in frame.meta]
    found += [
        (v.name, f"{v.name}: {v.label(language, form.default_language)}")
        for v in frame.variables
        if v.kind in (Kind.CATEGORICAL, Kind.LIKERT)
    ]
    return tuple(found)


def _check_by(frame: Frame, by: str) -> None:
    names = {variable.name: variable for variable in frame.variables}
    if by in names:
        if names[by].kind not in (Kind.CATEGORICAL, Kind.LIKERT):
            raise AnalysisProblem(AnalysisError.BY_NOT_SINGLE, by=by, kind=str(names[by].kind))
    elif by not in META_COLUMNS or by in ("completed_at", "synthetic"):
        raise AnalysisProblem(AnalysisError.BY_UNKNOWN, by=by[:60])


def languages_of(form: Form) -> tuple[tuple[str, str], ...]:
    return tuple((language_code(language), language) for language in form.languages) or (
        (form.default_language or "en", form.default_language or "English"),
    )


def analyse(
    session: Session,
    form_id: str,
    *,
    by: str = "country",
    filter: str | None = None,
    language: str | None = None,
    suppress_below: int | None = None,
) -> Analysis:
    """The report of a questionnaire's complete responses, as a page shows it.

    Raises :class:`AnalysisProblem` for a choice that cannot be honoured (no
    responses, an unknown grouping, language or filter) and
    :class:`survey.errors.Missing` for an unknown questionnaire. With
    ``suppress_below``, every table is the organisers' copy (:func:`suppress`).
    """
    questionnaire = get_questionnaire(session, form_id)
    found = fingerprint(session, questionnaire)
    if not found.complete:
        raise AnalysisProblem(AnalysisError.NO_RESPONSES, form_id=form_id)
    filter = (filter or "").strip() or None
    frame_key = (str(session.get_bind().engine.url), form_id, found)
    frame, form = _loaded(session, frame_key)
    choices = languages_of(form)
    code = language or choices[0][0]
    if code not in {c for c, _ in choices}:
        raise AnalysisProblem(
            AnalysisError.LANGUAGE, language=code[:20], choices=", ".join(c for c, _ in choices)
        )
    _check_by(frame, by)
    key = (*frame_key, by, filter, code)
    report = REPORTS.get(key)
    if report is None:
        try:
            report = build_report(
                frame,
                by=by,
                language=code,
                filter=filter,
                form=form,
                synthetic=bool(found.synthetic),
            )
        except FilterInvalid as exc:
            raise AnalysisProblem(AnalysisError.FILTER, message=exc.message.rstrip(".")) from exc
        REPORTS.put(key, report)
    if suppress_below is not None:
        report = suppressed(report, suppress_below)
    return Analysis(
        report=report,
        form=form,
        groupings=groupings(frame, form, report.language),
        languages=languages_of(form),
        synthetic=found.synthetic,
        suppressed_below=suppress_below,
    )


def _loaded(session: Session, key: tuple[str, str, Fingerprint]) -> tuple[Frame, Form]:
    """The frame and newest form for a (database, form_id, fingerprint) key, loaded once."""
    loaded = FRAMES.get(key)
    if loaded is None:
        frame = load_responses(session, key[1])
        loaded = (frame, form_of(get_version(session, key[1], frame.versions[-1])))
        FRAMES.put(key, loaded)
    return loaded


def frame_of(session: Session, form_id: str) -> Frame:
    """The frame of a questionnaire's complete responses (the one :func:`analyse` reads)."""
    questionnaire = get_questionnaire(session, form_id)
    key = (str(session.get_bind().engine.url), form_id, fingerprint(session, questionnaire))
    return _loaded(session, key)[0]


def suppressed(report: Report, threshold: int = SUPPRESS_BELOW) -> Report:
    """The organisers' copy of a report: every table with its small counts hidden."""
    sections = tuple(
        replace(section, tables=tuple(suppress(table, threshold) for table in section.tables))
        for section in report.sections
    )
    return replace(report, sections=sections)


def table_in(analysis: Analysis, question: str) -> Table:
    for table in analysis.report.tables:
        if table.question == question:
            return table
    raise AnalysisProblem(
        AnalysisError.QUESTION_UNKNOWN,
        form_id=analysis.report.provenance.form_id,
        question=question[:60],
    )


def section_of(analysis: Analysis, question: str) -> Section | None:
    for section in analysis.report.sections:
        if any(table.question == question for table in section.tables):
            return section
    return None
