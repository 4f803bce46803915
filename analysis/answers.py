"""Answers gathered chunk by chunk into typed columns, one array per question.

:func:`analysis.frame.frame_data` turns them into a frame's table, whether they
came from the database or from a data file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter
from typing import Any, Literal

import msgspec
import numpy as np
import pandas as pd

from analysis.variables import Kind, Variable, option_column

_JSON = tuple[Any, ...] | str | int | float | bool | dict[str, Any] | None  # any JSON value


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
        # Choice name -> position; None (no answer) -> _NONE, counted apart, then -1.
        self._positions: dict[str, dict[Any, int]] = {
            v.name: {choice.name: at for at, choice in enumerate(v.choices)} | {None: _NONE}
            for v in self.variables
        }
        # Stored answers are decoded straight into a struct of the frame's questions:
        # other keys are skipped, the rows are not tracked by the garbage collector,
        # and picks come as tuples, which it stops tracking: full collections over
        # 100,000 rows' dicts and lists would cost more than the decoding itself.
        self._decode = _decoder(self._names, [_JSON for _ in self.variables])
        self._fields = [attrgetter(f"q{at}") for at in range(len(self._names))]
        # First try: choices as Literal types. msgspec then hands back the one string
        # object of each choice instead of a new string per answer, which makes the
        # lookups above fast; a chunk with any other answer is decoded again as any JSON.
        self._decode_choices = _decoder(self._names, [_choice_type(v) for v in self.variables])

    def add(self, answers: Sequence[Mapping[str, Any]]) -> None:
        """One chunk of rows: a mapping of question name to answer per row."""
        rows = [tuple(row.get(name) for name in self._names) for row in answers]
        columns = zip(*rows, strict=True) if rows else (() for _ in self._names)
        self._add(columns, len(rows), False)

    def add_json(self, texts: Sequence[str]) -> None:
        """One chunk of rows, each the JSON text of a response's answers."""
        try:
            decode = self._decode_choices
            structs = [decode(text) for text in texts]
        except msgspec.ValidationError:  # an answer that is not one of its choices
            decode = self._decode
            structs = [decode(text) for text in texts]
        # Column by column, straight from the structs: no tuple per row.
        self._add((list(map(field, structs)) for field in self._fields), len(structs), True)

    def _add(self, columns: Iterable[Sequence[Any]], count: int, decoded: bool) -> None:
        """``decoded``: the values come from JSON, so no answer is a float NaN."""
        for variable, column in zip(self.variables, columns, strict=True):
            piece: Any
            if variable.kind is Kind.MULTIPLE:
                piece = _picks(self._choices[variable.name], column)
            elif variable.kind in (Kind.CATEGORICAL, Kind.LIKERT):
                # Coded while the chunk's strings are fresh; only integers are kept.
                codes = _codes(self._positions[variable.name], column)
                none = codes == _NONE
                if decoded:  # from JSON: None is the only missing value
                    given = count - int(np.count_nonzero(none))
                else:
                    given = int(pd.notna(np.fromiter(column, dtype=object, count=count)).sum())
                codes[none] = -1
                piece = _Codes(codes, given)
            else:
                # fromiter, not np.array: a list of picks must stay one object, not a dimension.
                piece = np.fromiter(column, dtype=object, count=count)
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


_NONE = -2  # the code of no answer while a chunk is coded
_OTHER = object()  # stands for an answer that cannot be a choice while a chunk is coded


def _decoder(names: Sequence[str], types: Sequence[Any]) -> Callable[[str], Any]:
    """A JSON decoder of an answers object into a struct of these questions' fields."""
    fields = [(f"q{at}", kind, None) for at, kind in enumerate(types)]
    rename = {f"q{at}": name for at, name in enumerate(names)}
    row = msgspec.defstruct("AnswerRow", fields, gc=False, rename=rename)
    decode: Callable[[str], Any] = msgspec.json.Decoder(row).decode
    return decode


def _choice_type(variable: Variable) -> Any:
    """A select question's answer as a Literal of its choices (picks: a tuple of them)."""
    names = tuple(choice.name for choice in variable.choices)
    if not names:
        return _JSON
    choice = Literal[names]  # type: ignore[valid-type]
    if variable.kind is Kind.MULTIPLE:
        return tuple[choice, ...] | str | None
    if variable.kind in (Kind.CATEGORICAL, Kind.LIKERT):
        return choice | None
    return _JSON


_EMPTY = np.array([], dtype=object)
_EMPTY_BOOL = np.array([], dtype=bool)
_NO_CODES = np.array([], dtype=np.int32)


@dataclass(frozen=True)
class _Codes:
    """One chunk of a select_one: each answer's choice position (-1: none), answers given."""

    codes: np.ndarray
    given: int


def _codes(position: Mapping[Any, int], values: Sequence[Any]) -> np.ndarray:
    # A dict lookup per answer, in C (map): several times faster than Index.get_indexer.
    lookup: Callable[[Any, int], int] = position.get
    try:
        return np.fromiter(map(lookup, values, repeat(-1)), dtype=np.int32, count=len(values))
    except TypeError:  # picks of a version that asked it as select_multiple
        # Only text is a choice; anything else given (a list, a number) is not one.
        texts = [v if v is None or isinstance(v, str) else _OTHER for v in values]
        return np.fromiter(map(lookup, texts, repeat(-1)), dtype=np.int32, count=len(texts))


@dataclass(frozen=True)
class _Picks:
    """One chunk of a select_multiple: its text, who answered, and a 0/1 row per respondent."""

    text: np.ndarray  # "a b" or None
    answered: np.ndarray  # bool
    matrix: np.ndarray  # int8, rows x choices
    unknown: int  # picks that are not among the choices


def _picks(options: pd.Index, values: Sequence[Any]) -> _Picks:
    """The chunk's picks; each distinct answer is worked out once (answers repeat a lot)."""
    try:
        seen = {value: at for at, value in enumerate(dict.fromkeys(values))}
        which = np.fromiter(map(seen.__getitem__, values), dtype=np.intp, count=len(values))
    except TypeError:  # a list (unhashable): every answer on its own
        which = np.arange(len(values))
        distinct = np.fromiter(values, dtype=object, count=len(values))
    else:
        distinct = np.fromiter(seen, dtype=object, count=len(seen))
    lists = [
        value.split()
        if isinstance(value, str)
        else value
        if isinstance(value, list | tuple)
        else None
        for value in distinct
    ]
    answered = np.fromiter((bool(picks) for picks in lists), dtype=bool, count=len(lists))
    text = np.array([" ".join(p) if p else None for p in lists], dtype=object)
    exploded = pd.Series(lists, dtype=object)[answered].explode()
    codes = options.get_indexer(exploded.to_numpy())
    known = codes >= 0
    rows = exploded.index.to_numpy()
    matrix = np.zeros((len(distinct), len(options)), dtype=np.int8)
    matrix[rows[known], codes[known]] = 1
    unknown = np.bincount(rows[~known], minlength=len(distinct))
    return _Picks(text[which], answered[which], matrix[which], int(unknown[which].sum()))


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


def _texts(values: Iterable[Any]) -> list[str | None]:
    """Only the text values (other types stay out of a categorical or a date)."""
    return [value if isinstance(value, str) else None for value in values]


def _lost(
    variable: Variable, count: int, reason: str, notes: list[str], unit: str = "answer"
) -> None:
    if count > 0:
        notes.append(
            _lost_note(
                count,
                unit,
                f"to {variable.name} left empty: the value {reason} "
                f"({variable.type} in the newest version).",
            )
        )


def _lost_note(count: int, unit: str, rest: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'} {rest}"


_LOST = re.compile(r"(\d+) (answer|pick)s? (to .*)", re.DOTALL)


def merge_notes(first: Sequence[str], second: Sequence[str]) -> list[str]:
    """The notes of two sets of rows of one frame as those of all the rows together.

    Counts of answers left empty add up per question and reason; other notes appear once.
    """
    merged: dict[str, int | None] = {}
    units: dict[str, str] = {}
    for note in (*first, *second):
        found = _LOST.fullmatch(note)
        if found is None:
            merged.setdefault(note, None)
            continue
        count, units[found[3]] = int(found[1]), found[2]
        merged[found[3]] = (merged.get(found[3]) or 0) + count
    return [
        note if count is None else _lost_note(count, units[note], note)
        for note, count in merged.items()
    ]
