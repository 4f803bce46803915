"""The population file: known numbers of HEIs per country and institution type.

A CSV or .xlsx file with the columns country, institution_type and count, read
for :func:`analysis.weights.post_stratify`. Every problem is reported with its row
and column, in words for the researcher who wrote the file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Any

import pycountry

from analysis.external import DataRefused, read_table

POPULATION_COLUMNS = ("country", "institution_type", "count")


class PopulationProblem(Enum):
    """What can be wrong in a population file, in words for the researcher who wrote it."""

    UNREADABLE = "The population file cannot be read: {reason}"
    COLUMNS = (
        "The header row needs the columns country, institution_type and count; missing: {missing}."
    )
    COUNTRY = "Row {row}, column country: “{value}” is not a two-letter ISO country code (e.g. MY)."
    TYPE = "Row {row}, column institution_type: give the institution type (e.g. public_university)."
    COUNT = "Row {row}, column count: “{value}” is not a whole number of institutions (0 or more)."
    DUPLICATE = (
        "Row {row}: {country} × {institution_type} was already given in row {first}; "
        "give each cell once."
    )
    EMPTY = "The population file has no counts."

    def format(self, **values: object) -> str:
        return self.value.format(**values)


class PopulationInvalid(Exception):
    """The population file is refused; ``errors`` are the messages, row by row."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = tuple(errors)
        super().__init__("\n".join(self.errors))


@dataclass(frozen=True)
class Population:
    """Known numbers of HEIs per (country, institution type)."""

    counts: Mapping[tuple[str, str], int]

    def countries(self) -> tuple[str, ...]:
        return tuple(sorted({country for country, _type in self.counts}))

    def total(self, country: str) -> int:
        """The country's number of HEIs over all types."""
        return sum(n for (c, _type), n in self.counts.items() if c == country)

    def cells(self, country: str) -> Mapping[str, int]:
        """The country's HEIs by institution type."""
        return {t: n for (c, t), n in self.counts.items() if c == country}


def read_population(data: bytes, filename: str) -> Population:
    """The population counts of a CSV or .xlsx file (columns country, institution_type, count).

    Raises PopulationInvalid with every problem found, each naming its row and column.
    """
    try:
        table = read_table(data, filename)
        headers = [header.strip().lower() for header in table.headers]
        missing = [column for column in POPULATION_COLUMNS if column not in headers]
        if missing:
            raise PopulationInvalid([PopulationProblem.COLUMNS.format(missing=", ".join(missing))])
        at = {column: headers.index(column) for column in POPULATION_COLUMNS}
        errors: list[str] = []
        counts: dict[tuple[str, str], int] = {}
        first: dict[tuple[str, str], int] = {}
        for row, cells in table.rows:
            values = [cells[at[column]] for column in POPULATION_COLUMNS]
            if all(_blank(value) for value in values):
                continue
            errors.extend(_row_errors(row, values, counts, first))
    except DataRefused as exc:
        raise PopulationInvalid([PopulationProblem.UNREADABLE.format(reason=exc.message)]) from None
    if not errors and not counts:
        errors.append(PopulationProblem.EMPTY.value)
    if errors:
        raise PopulationInvalid(errors)
    return Population(MappingProxyType(counts))


def _row_errors(
    row: int,
    values: list[Any],
    counts: dict[tuple[str, str], int],
    first: dict[tuple[str, str], int],
) -> list[str]:
    raw_country, raw_type, raw_count = values
    errors: list[str] = []
    country = "" if _blank(raw_country) else str(raw_country).strip().upper()
    if len(country) != 2 or pycountry.countries.get(alpha_2=country) is None:
        errors.append(PopulationProblem.COUNTRY.format(row=row, value=_shown(raw_country)))
    kind = "" if _blank(raw_type) else str(raw_type).strip()
    if not kind:
        errors.append(PopulationProblem.TYPE.format(row=row))
    count = _count(raw_count)
    if count is None:
        errors.append(PopulationProblem.COUNT.format(row=row, value=_shown(raw_count)))
    if errors or count is None:
        return errors
    cell = (country, kind)
    if cell in first:
        return [
            PopulationProblem.DUPLICATE.format(
                row=row, country=country, institution_type=kind, first=first[cell]
            )
        ]
    first[cell] = row
    counts[cell] = count
    return []


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _shown(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _count(value: Any) -> int | None:
    """A whole, non-negative number of institutions (12, 12.0, "12"), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        number: float = value
    elif isinstance(value, float):
        number = value
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            return None
    if not math.isfinite(number) or number < 0 or number != int(number):
        return None
    return int(number)
