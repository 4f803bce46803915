"""Messages of the analysis area, for researchers and organisers choosing what to compare."""

from __future__ import annotations

from enum import Enum
from typing import Any


class AnalysisError(Enum):
    NO_RESPONSES = (
        "“{form_id}” has no complete responses yet: the tables appear with the first one."
    )
    BY_UNKNOWN = (
        "There is no column “{by}” to compare by; use country, institution_type, language, "
        "form_version or a single-choice question of the form."
    )
    BY_NOT_SINGLE = "Tables are split by a single-choice question; “{by}” is a {kind} question."
    FILTER = "Filter: {message}."
    LANGUAGE = "The questionnaire has no language “{language}”; use one of: {choices}."
    QUESTION_UNKNOWN = "“{form_id}” has no question “{question}” with a comparative table."

    def format(self, **values: Any) -> str:
        return self.value.format(**values)


class AnalysisProblem(Exception):
    """A choice on the analysis pages that cannot be honoured; ``message`` says why."""

    def __init__(self, error: AnalysisError, **values: Any) -> None:
        self.error = error
        self.message = error.format(**values)
        super().__init__(self.message)
