"""Responses as one wide table: a row per response, a typed column per question.

:func:`load_responses` reads the responses of every version of a questionnaire
from the database; :func:`analysis.external.load_external` builds the same
frame from a data file collected elsewhere. Both go through :func:`frame_data`,
so a table or test never needs to know where the data came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Text, cast, func, select
from sqlmodel import Session, col

from analysis import snapshots
from analysis.answers import Answers, merge_notes
from analysis.variables import (
    Variable,
    institution_type_of,
    institution_types,
    valid,
    variables_of,
)
from survey.models import FormVersion, Institution, Response, ResponseStatus
from survey.versions import form_of, get_questionnaire, version_key, versions_of
from survey.xlsform.model import Form

# The columns every frame has besides the questions, in this order.
# "synthetic" is True for a response made up by the demo generator (every output says so).
META_COLUMNS = (
    "country",
    "institution_type",
    "language",
    "form_version",
    "completed_at",
    "synthetic",
)
_CHUNK = 5000  # rows fetched at a time: memory stays flat however many responses there are


@dataclass(frozen=True)
class RejectedRow:
    """A row of a data file left out of the frame, and why (messages per column)."""

    row: int  # as a spreadsheet shows it: the header is row 1
    errors: Mapping[str, tuple[str, ...]]

    def describe(self) -> str:
        parts = [f"{column}: {' '.join(messages)}" for column, messages in self.errors.items()]
        return f"Row {self.row}: " + "; ".join(parts)


@dataclass(frozen=True)
class Source:
    """What a frame was built from, in words for the method notes."""

    kind: str  # "database" or "file"
    form_id: str
    description: str


@dataclass(frozen=True, eq=False)
class Frame:
    """Responses of one questionnaire, typed, with what each column means.

    ``data`` is to be read, not changed: derive new frames from it (pandas copies on write).
    """

    data: pd.DataFrame
    variables: tuple[Variable, ...]
    versions: tuple[str, ...]  # oldest first
    differences: tuple[str, ...]  # between versions, in words
    source: Source
    rejected: tuple[RejectedRow, ...] = ()
    notes: tuple[str, ...] = ()  # what was ignored or could not be read, in words
    meta: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({name: name for name in META_COLUMNS})
    )  # country, institution_type, … -> its column (prefixed "_" if a question has the name)

    def variable(self, name: str) -> Variable:
        for variable in self.variables:
            if variable.name == name:
                return variable
        raise KeyError(name)

    def valid(self, name: str) -> pd.Series:
        """A question's column with user-missing answers as NaN (see analysis.variables.valid)."""
        return valid(self.data[name], self.variable(name))


def meta_names(variables: Sequence[Variable]) -> Mapping[str, str]:
    """Meta column names; one that a question already uses gets a leading underscore."""
    taken = {variable.name for variable in variables}
    return MappingProxyType({m: f"_{m}" if m in taken else m for m in META_COLUMNS})


def frame_data(
    answers: Answers, index: pd.Index, meta: Mapping[str, Any]
) -> tuple[pd.DataFrame, list[str]]:
    """The frame's table: meta columns first, then each question's columns in form order."""
    names = meta_names(answers.variables)
    notes: list[str] = []
    columns: dict[str, Any] = {names[m]: meta[m] for m in META_COLUMNS}
    columns.update(answers.columns(notes))
    return pd.DataFrame(columns, index=index), notes


def load_responses(
    session: Session, form_id: str, *, include_partial: bool = False, keep: bool = True
) -> Frame:
    """The complete responses to every version of a questionnaire, as one frame.

    ``include_partial`` adds the unfinished ones too (with a ``status`` column);
    their answers were never judged as a whole, so read them with care. Complete
    responses are read from the stored columnar copy when it is current
    (:mod:`analysis.snapshots`), and the copy is kept up to date; ``keep=False``
    reads every answer and stores nothing.
    """
    questionnaire = get_questionnaire(session, form_id)
    stored = {version.id: version for version in versions_of(session, questionnaire)}
    statuses = [ResponseStatus.COMPLETE.value]
    if include_partial:
        statuses.append(ResponseStatus.PARTIAL.value)
    answered = {
        version_id
        for version_id in stored
        if session.connection().scalar(
            select(col(Response.id))
            .where(col(Response.form_version_id) == version_id, col(Response.status).in_(statuses))
            .limit(1)
        )
        is not None
    }
    # Versions nobody answered add nothing; with no responses at all, the newest shapes the frame.
    used = [v for i, v in stored.items() if i in answered] or list(stored.values())[:1]
    used.sort(key=lambda version: version_key(version.version))
    forms = [(version.version, form_of(version)) for version in used]
    variables, differences = variables_of(forms)
    names = meta_names(variables)
    reader = _Reader(session, used, forms, variables, statuses)
    snapshot = None
    if keep and not include_partial and questionnaire.id is not None:
        snapshot = snapshots.read(session, questionnaire.id, used)
    if snapshot is None:
        read = reader.read()
        assert read is not None
        data, notes, extra = read.data, read.notes, read.extra
    else:
        tail = reader.read(after=snapshot.coverage.as_of)
        data, notes, extra = _joined(snapshot, tail)
    institutions = extra["institution_id"].to_numpy(dtype=object, na_value=None)
    data[names["institution_type"]] = institution_types(
        forms, extra["type_answer"], _registry_types(session, institutions)
    )
    kept = keep and not include_partial and questionnaire.id is not None
    if kept and (snapshot is None or snapshot.worth_renewing(len(data))):
        assert questionnaire.id is not None
        _keep(session, questionnaire.id, used, data, extra, notes)
    if include_partial:
        data["status"] = pd.Categorical(reader.status, categories=statuses)
    which = "complete and partial" if include_partial else "complete"
    source = Source(
        kind="database",
        form_id=form_id,
        description=(
            f"{len(data)} {which} responses to “{form_id}” in the platform database "
            f"(version{'s' if len(forms) > 1 else ''} {', '.join(v for v, _f in forms)})."
        ),
    )
    return Frame(
        data=data,
        variables=variables,
        versions=tuple(version for version, _form in forms),
        differences=tuple(differences),
        source=source,
        notes=tuple(notes),
        meta=names,
    )


@dataclass(frozen=True)
class _Read:
    data: pd.DataFrame  # institution_type still to be filled in
    notes: list[str]
    extra: dict[str, Any]  # institution_id (Int64) and type_answer (object) per row


class _Reader:
    """Reads responses of the versions used and codes their answers into a frame's table."""

    def __init__(
        self,
        session: Session,
        used: Sequence[FormVersion],
        forms: Sequence[tuple[str, Form]],
        variables: Sequence[Variable],
        statuses: Sequence[str],
    ) -> None:
        self.session = session
        self.used = used
        self.forms = forms
        self.variables = variables
        self.statuses = statuses
        self.type_question = institution_type_of(forms)
        self.status: list[str] = []

    def read(self, after: datetime | None = None) -> _Read | None:
        """Every response of the versions used, or those changed after ``after``.

        None when ``after`` is given and no response changed since (nothing to build).
        """
        answers = Answers(self.variables)
        # Meta columns gathered a chunk at a time, as columns: no tuple per response.
        gathered: list[list[Any]] = [[] for _ in range(8)]
        statement = (
            select(
                col(Response.id),
                col(Response.form_version_id),
                col(Response.country),
                col(Response.institution_id),
                col(Response.language),
                # As text: decoded here in one tight loop rather than by the driver row by row.
                cast(col(Response.answers), Text),
                # As text too: one vectorised parse instead of a timezone fix-up per row.
                cast(col(Response.completed_at), Text),
                col(Response.status),
                col(Response.synthetic),
            )
            .where(
                col(Response.form_version_id).in_([version.id for version in self.used]),
                col(Response.status).in_(self.statuses),
            )
            .order_by(col(Response.id))
            .execution_options(yield_per=_CHUNK)
        )
        if after is not None:
            statement = statement.where(col(Response.updated_at) > after)
        for chunk in self.session.connection().execute(statement).partitions():
            if not chunk:
                continue
            columns = list(zip(*chunk, strict=True))
            answers.add_json([text or "{}" for text in columns.pop(5)])
            for column, values in zip(gathered, columns, strict=True):
                column.extend(values)
        if after is not None and not answers.rows:
            return None
        ids, version_ids, countries, institutions, languages, completed, status, made_up = gathered
        self.status = status
        names = {version.id: version.version for version in self.used}
        meta = {
            "country": pd.Categorical([country or None for country in countries]),
            "institution_type": pd.Categorical([None] * answers.rows),
            "language": pd.Categorical(languages),
            "form_version": pd.Categorical(
                [names[i] for i in version_ids],
                categories=[version for version, _form in self.forms],
                ordered=True,
            ),
            "completed_at": pd.to_datetime(
                pd.Series(completed, dtype=object), utc=True, format="ISO8601"
            ).array,
            "synthetic": np.asarray(made_up, dtype=bool),
        }
        data, notes = frame_data(answers, pd.Index(ids, dtype="int64", name="response"), meta)
        raw = answers.raw(self.type_question) if self.type_question else [None] * answers.rows
        extra = {
            "institution_id": pd.array(institutions, dtype="Int64"),
            "type_answer": np.array(
                [value if isinstance(value, str) else None for value in raw], dtype=object
            ),
        }
        return _Read(data, notes, extra)


def _joined(
    snapshot: snapshots.Snapshot, tail: _Read | None
) -> tuple[pd.DataFrame, list[str], dict[str, Any]]:
    """The stored copy with the responses changed since, in the order of their ids."""
    if tail is None:
        return snapshot.data, list(snapshot.notes), dict(snapshot.extra)
    order = None
    if len(snapshot.data) and tail.data.index.min() < snapshot.data.index.max():
        order = np.argsort(np.concatenate([snapshot.data.index, tail.data.index]), kind="stable")
    data = pd.concat([snapshot.data, tail.data.astype(snapshot.data.dtypes.to_dict())])
    extra = {
        name: pd.concat([pd.Series(snapshot.extra[name]), pd.Series(tail.extra[name])]).array
        for name in tail.extra
    }
    if order is not None:
        data = data.iloc[order]
        extra = {name: values[order] for name, values in extra.items()}
    return data, merge_notes(snapshot.notes, tail.notes), extra


def _keep(
    session: Session,
    questionnaire_id: int,
    used: Sequence[FormVersion],
    data: pd.DataFrame,
    extra: Mapping[str, Any],
    notes: Sequence[str],
) -> None:
    """Store the frame as the questionnaire's columnar copy, if its columns can be kept."""
    blob = snapshots.encode(data, extra, notes)
    if blob is None:
        return
    as_of = session.connection().scalar(
        select(func.max(col(Response.updated_at))).where(
            col(Response.form_version_id).in_([version.id for version in used]),
            col(Response.status) == ResponseStatus.COMPLETE.value,
        )
    )
    ids = np.asarray(data.index, dtype=np.int64)
    coverage = snapshots.Coverage(len(ids), int(ids.sum()), as_of)
    snapshots.store(session, questionnaire_id, used, blob, coverage)


def _registry_types(session: Session, institutions: Sequence[int | None]) -> list[str | None]:
    """The registry's type of each response's institution (invitations know it)."""
    wanted = sorted({i for i in institutions if i is not None})
    registry: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        rows = session.connection().execute(
            select(col(Institution.id), col(Institution.type)).where(
                col(Institution.id).in_(wanted[start : start + 500]), col(Institution.type) != ""
            )
        )
        registry.update({row[0]: row[1] for row in rows if row[0] is not None})
    return [registry.get(i) if i is not None else None for i in institutions]
