"""Responses as one wide table: a row per response, a typed column per question.

:func:`load_responses` reads the responses of every version of a questionnaire
from the database; :func:`analysis.external.load_external` builds the same
frame from a data file collected elsewhere. Both go through :func:`frame_data`,
so a table or test never needs to know where the data came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Text, cast, select
from sqlmodel import Session, col

from analysis.answers import Answers
from analysis.variables import (
    Variable,
    institution_type_of,
    institution_types,
    valid,
    variables_of,
)
from survey.models import Institution, Response, ResponseStatus
from survey.versions import form_of, get_questionnaire, version_key, versions_of

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


def load_responses(session: Session, form_id: str, *, include_partial: bool = False) -> Frame:
    """The complete responses to every version of a questionnaire, as one frame.

    ``include_partial`` adds the unfinished ones too (with a ``status`` column);
    their answers were never judged as a whole, so read them with care.
    """
    questionnaire = get_questionnaire(session, form_id)
    stored = {version.id: version for version in versions_of(session, questionnaire)}
    statuses = [ResponseStatus.COMPLETE.value]
    if include_partial:
        statuses.append(ResponseStatus.PARTIAL.value)
    answered = set(
        session.connection().scalars(
            select(col(Response.form_version_id))
            .where(
                col(Response.form_version_id).in_(list(stored)),
                col(Response.status).in_(statuses),
            )
            .distinct()
        )
    )
    # Versions nobody answered add nothing; with no responses at all, the newest shapes the frame.
    used = [v for i, v in stored.items() if i in answered] or list(stored.values())[:1]
    used.sort(key=lambda version: version_key(version.version))
    forms = [(version.version, form_of(version)) for version in used]
    variables, differences = variables_of(forms)
    answers = Answers(variables)
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
            col(Response.form_version_id).in_([version.id for version in used]),
            col(Response.status).in_(statuses),
        )
        .order_by(col(Response.id))
        .execution_options(yield_per=_CHUNK)
    )
    for chunk in session.connection().execute(statement).partitions():
        if not chunk:
            continue
        columns = list(zip(*chunk, strict=True))
        answers.add_json([text or "{}" for text in columns.pop(5)])
        for column, values in zip(gathered, columns, strict=True):
            column.extend(values)
    ids, version_ids, countries, institutions, languages, completed, status, made_up = gathered
    countries = [country or None for country in countries]
    names = {version.id: version.version for version in used}
    type_question = institution_type_of(forms)
    meta = {
        "country": pd.Categorical(countries),
        "institution_type": institution_types(
            forms,
            answers.raw(type_question) if type_question else [None] * answers.rows,
            _registry_types(session, institutions),
        ),
        "language": pd.Categorical(languages),
        "form_version": pd.Categorical(
            [names[i] for i in version_ids],
            categories=[version for version, _form in forms],
            ordered=True,
        ),
        "completed_at": pd.to_datetime(
            pd.Series(completed, dtype=object), utc=True, format="ISO8601"
        ).array,
        "synthetic": np.asarray(made_up, dtype=bool),
    }
    data, notes = frame_data(answers, pd.Index(ids, dtype="int64", name="response"), meta)
    if include_partial:
        data["status"] = pd.Categorical(status, categories=statuses)
    which = "complete and partial" if include_partial else "complete"
    source = Source(
        kind="database",
        form_id=form_id,
        description=(
            f"{answers.rows} {which} responses to “{form_id}” in the platform database "
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
        meta=meta_names(variables),
    )


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
