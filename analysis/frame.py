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

import msgspec
import numpy as np
import pandas as pd
from sqlalchemy import Text, cast, select
from sqlmodel import Session, col

from analysis.variables import (
    Kind,
    Variable,
    institution_type_of,
    institution_types,
    option_column,
    valid,
    variables_of,
)
from survey.models import Institution, Response, ResponseStatus
from survey.versions import form_of, get_questionnaire, version_key, versions_of

# The columns every frame has besides the questions, in this order.
META_COLUMNS = ("country", "institution_type", "language", "form_version", "completed_at")
_JSON = tuple[Any, ...] | str | int | float | bool | dict[str, Any] | None  # any JSON value
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


class Answers:
    """Answers gathered chunk by chunk into one array per question, then typed columns.

    A chunk's rows are transposed into columns at once, and its select_multiple
    picks become 0/1 rows straight away, so the mappings and lists of a chunk are
    freed before the next: memory and garbage collection stay flat.
    """

    def __init__(self, variables: Sequence[Variable]) -> None:
        self.variables = tuple(variables)
        self._names = [variable.name for variable in self.variables]
        self._pieces: dict[str, list[Any]] = {name: [] for name in self._names}
        self.rows = 0
        self._choices = {
            v.name: pd.Index([choice.name for choice in v.choices], dtype=object)
            for v in self.variables
        }
        # Stored answers are decoded straight into a struct of the frame's questions:
        # other keys are skipped, the rows are not tracked by the garbage collector,
        # and picks come as tuples, which it stops tracking: full collections over
        # 100,000 rows' dicts and lists would cost more than the decoding itself.
        fields = [(f"q{at}", _JSON, None) for at in range(len(self._names))]
        rename = {f"q{at}": name for at, name in enumerate(self._names)}
        row = msgspec.defstruct("AnswerRow", fields, gc=False, rename=rename)
        self._decode = msgspec.json.Decoder(row).decode

    def add(self, answers: Sequence[Mapping[str, Any]]) -> None:
        """One chunk of rows: a mapping of question name to answer per row."""
        self._add([tuple(row.get(name) for name in self._names) for row in answers])

    def add_json(self, texts: Sequence[str]) -> None:
        """One chunk of rows, each the JSON text of a response's answers."""
        decode, values = self._decode, msgspec.structs.astuple
        self._add([values(decode(text)) for text in texts])

    def _add(self, rows: list[tuple[Any, ...]]) -> None:
        count = len(rows)
        columns = zip(*rows, strict=True) if rows else (() for _ in self._names)
        for variable, column in zip(self.variables, columns, strict=True):
            # fromiter, not np.array: a list of picks must stay one object, not a dimension.
            values = np.fromiter(column, dtype=object, count=count)
            piece: Any = values
            if variable.kind is Kind.MULTIPLE:
                piece = _picks(self._choices[variable.name], values)
            elif variable.kind in (Kind.CATEGORICAL, Kind.LIKERT):
                # Coded while the chunk's strings are fresh; only integers are kept.
                codes = _codes(self._choices[variable.name], values)
                piece = _Codes(codes, int(pd.notna(values).sum()))
            self._pieces[variable.name].append(piece)
        self.rows += count

    def raw(self, name: str) -> np.ndarray:
        """A question's answers (select_one: its choice or None; select_multiple: as text)."""
        pieces = self._pieces[name]
        if pieces and isinstance(pieces[0], _Picks):
            return np.concatenate([piece.text for piece in pieces])
        if pieces and isinstance(pieces[0], _Codes):
            variable = next(v for v in self.variables if v.name == name)
            # None last: code -1 (no answer, or one not among the choices) picks it.
            names = np.array([choice.name for choice in variable.choices] + [None], dtype=object)
            chosen: np.ndarray = names[np.concatenate([piece.codes for piece in pieces])]
            return chosen
        return np.concatenate(pieces or [_EMPTY])

    def columns(self, notes: list[str]) -> dict[str, Any]:
        """Typed columns of every question; answers that do not fit are counted in ``notes``."""
        columns: dict[str, Any] = {}
        for variable in self.variables:
            if variable.kind is Kind.MULTIPLE:
                columns.update(self._multiple(variable, notes))
            elif variable.kind in (Kind.CATEGORICAL, Kind.LIKERT):
                columns[variable.name] = self._categorical(variable, notes)
            else:
                columns[variable.name] = _typed(variable, self.raw(variable.name), notes)
        return columns

    def _categorical(self, variable: Variable, notes: list[str]) -> pd.Categorical:
        pieces: list[_Codes] = self._pieces[variable.name]
        codes = np.concatenate([piece.codes for piece in pieces] or [_NO_CODES])
        given = sum(piece.given for piece in pieces)
        _lost(variable, given - int((codes >= 0).sum()), "is not one of its choices", notes)
        return pd.Categorical.from_codes(
            codes,
            dtype=pd.CategoricalDtype(
                [choice.name for choice in variable.choices],
                ordered=variable.kind is Kind.LIKERT,
            ),
        )

    def _multiple(self, variable: Variable, notes: list[str]) -> dict[str, Any]:
        pieces: list[_Picks] = self._pieces[variable.name]
        options = [choice.name for choice in variable.choices]
        matrix = np.concatenate(
            [piece.matrix for piece in pieces] or [np.zeros((0, len(options)), np.int8)]
        )
        unanswered = ~np.concatenate([piece.answered for piece in pieces] or [_EMPTY_BOOL])
        unknown = sum(piece.unknown for piece in pieces)
        _lost(variable, unknown, "is not one of its choices", notes, "pick")
        columns: dict[str, Any] = {variable.name: pd.array(self.raw(variable.name), dtype="str")}
        for at, option in enumerate(options):
            columns[option_column(variable.name, option)] = pd.arrays.IntegerArray(
                np.ascontiguousarray(matrix[:, at]), unanswered.copy()
            )
        return columns


_EMPTY = np.array([], dtype=object)
_EMPTY_BOOL = np.array([], dtype=bool)
_NO_CODES = np.array([], dtype=np.int32)


@dataclass(frozen=True)
class _Codes:
    """One chunk of a select_one: each answer's choice position (-1: none), answers given."""

    codes: np.ndarray
    given: int


def _codes(categories: pd.Index, values: np.ndarray) -> np.ndarray:
    # A dict lookup per answer: several times faster than Index.get_indexer on objects.
    position = {name: at for at, name in enumerate(categories)}
    get = position.get
    try:
        return np.fromiter((get(value, -1) for value in values), dtype=np.int32, count=len(values))
    except TypeError:  # picks of a version that asked it as select_multiple
        texts = _texts(values)
        return np.fromiter((get(text, -1) for text in texts), dtype=np.int32, count=len(texts))


@dataclass(frozen=True)
class _Picks:
    """One chunk of a select_multiple: its text, who answered, and a 0/1 row per respondent."""

    text: np.ndarray  # "a b" or None
    answered: np.ndarray  # bool
    matrix: np.ndarray  # int8, rows x choices
    unknown: int  # picks that are not among the choices


def _picks(options: pd.Index, values: np.ndarray) -> _Picks:
    lists = [
        value.split()
        if isinstance(value, str)
        else value
        if isinstance(value, list | tuple)
        else None
        for value in values
    ]
    answered = np.fromiter((bool(picks) for picks in lists), dtype=bool, count=len(lists))
    text = np.array([" ".join(p) if p else None for p in lists], dtype=object)
    exploded = pd.Series(lists, dtype=object)[answered].explode()
    codes = options.get_indexer(exploded.to_numpy())
    known = codes >= 0
    matrix = np.zeros((len(values), len(options)), dtype=np.int8)
    matrix[exploded.index.to_numpy()[known], codes[known]] = 1
    return _Picks(text, answered, matrix, int((~known).sum()))


def _typed(variable: Variable, values: np.ndarray, notes: list[str]) -> Any:
    given = int(pd.notna(values).sum())
    if variable.kind is Kind.NUMERIC:
        numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").astype("float64")
        if variable.type == "integer":
            numbers = numbers.where(numbers.mod(1) == 0).astype("Int64")
        _lost(variable, given - int(numbers.notna().sum()), "is not a number", notes)
        return numbers.array
    if variable.kind is Kind.DATE:
        dates = pd.to_datetime(
            pd.Series(_texts(values), dtype=object), format="%Y-%m-%d", errors="coerce"
        )
        _lost(variable, given - int(dates.notna().sum()), "is not a date", notes)
        return dates.array
    return pd.array(
        [" ".join(v) if isinstance(v, list | tuple) else v for v in values], dtype="str"
    )


def _texts(values: np.ndarray) -> list[str | None]:
    """Only the text values (other types stay out of a categorical or a date)."""
    return [value if isinstance(value, str) else None for value in values]


def frame_data(
    answers: Answers, index: pd.Index, meta: Mapping[str, Any]
) -> tuple[pd.DataFrame, list[str]]:
    """The frame's table: meta columns first, then each question's columns in form order."""
    names = meta_names(answers.variables)
    notes: list[str] = []
    columns: dict[str, Any] = {names[m]: meta[m] for m in META_COLUMNS}
    columns.update(answers.columns(notes))
    return pd.DataFrame(columns, index=index), notes


def _lost(
    variable: Variable, count: int, reason: str, notes: list[str], unit: str = "answer"
) -> None:
    if count > 0:
        plural = "" if count == 1 else "s"
        notes.append(
            f"{count} {unit}{plural} to {variable.name} left empty: the value {reason} "
            f"({variable.type} in the newest version)."
        )


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
    rows: list[tuple[Any, ...]] = []
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
        )
        .where(
            col(Response.form_version_id).in_([version.id for version in used]),
            col(Response.status).in_(statuses),
        )
        .order_by(col(Response.id))
        .execution_options(yield_per=_CHUNK)
    )
    for chunk in session.connection().execute(statement).partitions():
        answers.add_json([row[5] or "{}" for row in chunk])
        rows.extend((r[0], r[1], r[2] or None, r[3], r[4], r[6], r[7]) for r in chunk)
    ids, version_ids, countries, institutions, languages, completed, status = (
        list(column) for column in (zip(*rows, strict=True) if rows else [()] * 7)
    )
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
