"""Messages of the policy-matrix area, for researchers and country coordinators."""

from __future__ import annotations

from enum import Enum
from typing import Any


class MatrixError(Enum):
    # Whole requests
    JURISDICTION_UNKNOWN = "There is no jurisdiction “{code}” in the matrix."
    DIMENSION_UNKNOWN = "There is no dimension “{dimension}”; the catalogue has PM01–PM25."
    COMPUTED = "{dimension} is computed by the platform from other dimensions; it is not edited."
    OTHER_COUNTRY = "Country coordinators edit their own country ({own}) only, not {code}."
    REFERENCE_ROW = "Only researchers edit the reference row {code}."
    NOT_EDITOR = "Your role reads the matrix; researchers and country coordinators edit it."
    ADD_COUNTRY = "Only researchers and admins add countries to the matrix."
    JURISDICTION_EXISTS = "The matrix has a jurisdiction {code} already."
    REASON_MISSING = "Say why you make this change (the reason is kept in the history)."
    NOTHING_CHANGED = "Nothing changed: the cell already holds these values."
    STALE = (
        "{code}/{dimension} was changed by someone else after you opened it. Open it again, "
        "read their change in the history, and make yours on top of it."
    )
    DATE_ORDER = "The first date ({start}) comes after the second ({end})."

    # Fields of an entry (the place is the key of the error)
    STATUS = "Use one of the statuses: {choices}."
    DATE = "Give a date as YYYY-MM-DD, e.g. 2026-11-28."
    FUTURE_DATE = "The date {value} is in the future."
    NOT_A_FIELD = "{dimension} has no field “{name}”; its fields are {fields}."
    COMPUTED_FIELD = "This is computed by the platform; leave it out."
    VALUE_OBJECT = "Give the value as an object of fields: {fields}."
    CHOICE = "Use one of: {choices}."
    CHOICES = "Give a list of choices from: {choices} (each once)."
    TEXT = "Give text (at most {limit} characters, no control characters)."
    INTEGER = "Give a whole number."
    NUMBER = "Give a number."
    TOO_LARGE = "The number is too large."
    BOOLEAN = "Give true or false."
    URL = "Give a web address starting with https:// or http://."
    LIST = "Give a list."
    BELOW_MINIMUM = "The smallest allowed value is {limit}."
    ABOVE_MAXIMUM = "The largest allowed value is {limit}."
    RANGE = "The minimum ({low}) is larger than the maximum ({high})."
    EVIDENCE_LIST = "Give the evidence as a list of sources."
    EVIDENCE_NEEDED = (
        "A cell whose status is not “unknown” needs at least one source with a URL "
        "(a law, a guideline, an agency page or a secondary source)."
    )
    EVIDENCE_TITLE = "Each source needs a title."
    EXCERPT = "Keep the excerpt to {limit} characters; quote the key sentence only."
    EVIDENCE_TYPE = "Use one of the evidence types: {choices}."
    CONFIDENCE = "Use one of: high, medium, low."

    def format(self, **values: Any) -> str:
        return self.value.format(**values)


class MatrixProblem(Exception):
    """A request on the matrix that cannot be carried out (422)."""

    def __init__(self, error: MatrixError, **values: Any) -> None:
        self.error = error
        self.message = error.format(**values)
        super().__init__(self.message)


class MatrixNotFound(MatrixProblem):
    """No such jurisdiction or dimension (404)."""


class MatrixForbidden(MatrixProblem):
    """The person may not edit this cell (403)."""


class MatrixConflict(MatrixProblem):
    """Conflicts with what is stored (409)."""


class EntryInvalid(Exception):
    """An entry's fields have errors: ``errors`` maps a place (``value.min``) to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v[0]}" for k, v in list(errors.items())[:3]))
