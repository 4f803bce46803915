"""The respondent's side: who is answering (a cookie, never the token), in which language, where.

After the first visit the invitation token leaves the URL: the browser keeps a
random respondent id in a cookie scoped to the questionnaire's path, and the
server keeps which response it belongs to in the shared state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from microcasa.state import SharedState
from survey.engine import Answer, Evaluation
from survey.xlsform.model import Form, language_code

COOKIE = "mc_r"
LIFETIME = timedelta(days=90)  # fieldwork lasts weeks; the respondent may come back late


def _key(respondent_id: str) -> str:
    return "respondent:" + hashlib.sha256(respondent_id.encode("utf-8")).hexdigest()


def remember(state: SharedState, respondent_id: str, response_id: int) -> None:
    state.set(_key(respondent_id), str(response_id), LIFETIME)


def recall(state: SharedState, respondent_id: str | None) -> int | None:
    if not respondent_id or len(respondent_id) > 100:
        return None
    value = state.get(_key(respondent_id), renew_for=LIFETIME)
    return int(value) if value and value.isdigit() else None


def forget(state: SharedState, respondent_id: str) -> None:
    state.delete(_key(respondent_id))


def pick_language(form: Form, *wanted: str | None, accept: str = "") -> str:
    """The first wanted language the form has, else the browser's, else the default."""
    codes = {language_code(lang).lower(): lang for lang in form.languages}
    for item in wanted:
        if item:
            found = codes.get(language_code(item).lower())
            if found:
                return found
    for part in accept.split(","):
        code = part.split(";")[0].strip().lower()
        for candidate in (code, code.split("-")[0]):
            if candidate in codes:
                return codes[candidate]
    return form.default_language


def next_page(evaluation: Evaluation, current: str) -> str | None:
    """The visible page after ``current``, or None at the end."""
    pages = list(evaluation.pages)
    if current not in pages:
        return pages[0] if pages else None
    index = pages.index(current)
    return pages[index + 1] if index + 1 < len(pages) else None


def previous_page(evaluation: Evaluation, current: str) -> str | None:
    pages = list(evaluation.pages)
    if current not in pages:
        return pages[-1] if pages else None
    index = pages.index(current)
    return pages[index - 1] if index > 0 else None


def page_values(form: Form, answers: Mapping[str, Any]) -> dict[str, Answer]:
    """Stored answers as a page shows them (select_multiple as a tuple of choices)."""
    shown: dict[str, Answer] = {}
    for question in form.questions:
        value = answers.get(question.name)
        if value in (None, ""):
            continue
        if question.type == "select_multiple":
            items = value.split() if isinstance(value, str) else list(value)
            shown[question.name] = tuple(str(item) for item in items)
        elif isinstance(value, str | int | float):
            shown[question.name] = value
        else:
            shown[question.name] = str(value)
    return shown
