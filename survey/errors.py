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
