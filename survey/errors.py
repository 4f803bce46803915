"""Messages of the survey area for staff (publishing and managing questionnaires)."""

from __future__ import annotations

from enum import Enum
from typing import Any


class SurveyError(Enum):
    VERSION_MISSING = (
        "The settings sheet has no version. Add a “version” column, e.g. 2026112801 "
        "(yyyymmddrr), so that later revisions can be told apart."
    )
    VERSION_CHANGED = (
        "Version {version} of “{form_id}” is already published with different content. "
        "Responses must keep the questions they answered: raise the version in the "
        "settings sheet (e.g. {suggestion}) and publish again."
    )
    VERSION_NOT_NEWER = (
        "Version {version} does not come after the newest published version {latest} of "
        "“{form_id}”. Use a higher version (e.g. {suggestion})."
    )
    FORM_NOT_FOUND = "There is no questionnaire “{form_id}”."
    VERSION_NOT_FOUND = "Questionnaire “{form_id}” has no version {version}."
    STATUS_UNKNOWN = "“{status}” is not a status; use draft, open or closed."
    NO_FILE = "Choose an .xlsx file (or a questionnaire written as markdown tables, .md)."
    NOT_OPEN = "Questionnaire “{form_id}” has no version open for responses."
    INVITATION_USED = "This invitation has a complete response already."
    INVITATION_INVALID = "This invitation cannot be used (unknown, used, revoked or expired)."
    INSTANCE_CONFLICT = (
        "A submission with instance_id {instance_id} was stored before with different "
        "content. Use a new instance_id for a new submission."
    )
    STILL_OPEN = (
        "Questionnaire “{form_id}” is still open for responses: close it first, or give "
        "--before DATE to purge only the invitations created before that date."
    )
    REASON_MISSING = "Give the reason (e.g. the retention period of the study's privacy notice)."
    RESPONDENT_NOT_FOUND = "The platform holds nothing for {what}."

    def format(self, **values: Any) -> str:
        return self.value.format(**values)


class SurveyProblem(Exception):
    """A request about questionnaires that cannot be carried out."""

    def __init__(self, error: SurveyError, **values: Any) -> None:
        self.error = error
        self.message = error.format(**values)
        super().__init__(self.message)


class Refused(SurveyProblem):
    """Conflicts with what is published (409)."""


class Missing(SurveyProblem):
    """No such questionnaire or version (404)."""


class ImportError_(Enum):
    """Problems in a file of institutions to invite (one message per row and column)."""

    UNREADABLE = "The file cannot be read as CSV (UTF-8) or as an .xlsx workbook: {reason}."
    EMPTY = "The file has no rows below its header."
    TOO_MANY_ROWS = "The file has more than {limit} rows; split it into smaller files."
    MISSING_COLUMN = (
        "The first row has no “{column}” column. Columns needed: name, country; "
        "optional: type, size_band, contact_email, contact_name, language."
    )
    MISSING_VALUE = "Row {row}, column “{column}”: this cell is empty."
    BAD_COUNTRY = "Row {row}, column “country”: “{value}” is not a two-letter ISO country code."
    BAD_EMAIL = "Row {row}, column “contact_email”: “{value}” is not an email address."
    BAD_LANGUAGE = (
        "Row {row}, column “language”: “{value}” is not a language of this questionnaire "
        "({languages})."
    )
    BAD_TYPE = "Row {row}, column “type”: “{value}” is not one of {types}."
    TOO_LONG = "Row {row}, column “{column}”: the text is longer than {limit} characters."
    NULL_CHARACTER = "Row {row}, column “{column}”: the text holds a null character; delete it."
    DUPLICATE_IN_FILE = "Row {row}: “{name}” ({country}) is already on row {first} of this file."

    def format(self, **values: Any) -> str:
        return self.value.format(**values)


class ImportRefused(Exception):
    """The file cannot be imported; ``problems`` lists every problem, each with its row."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems[:3]))
