"""What a respondent sees when a questionnaire page fails: the words in the study languages.

``survey/respond/trouble.html`` is the one such page: an unusable link and too
many attempts (from the respondent routes) use it as well.

Staff pages show the platform's error page in English; a respondent on ``/s/…``
or ``/i/…`` gets the same status in their own language (from ``?lang=`` or the
browser's Accept-Language), followed by the other study languages, as the page
for an unusable link does, with what happened to their answers.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from survey.i18n import translator

RESPONDENT_PATHS = ("/s/", "/i/")
ALIASES = {"tl": "fil", "in": "id", "msa": "ms", "may": "ms"}


def is_respondent_page(path: str) -> bool:
    return path.startswith(RESPONDENT_PATHS)


def preferred(request: Request[Any, Any, Any], languages: tuple[str, ...]) -> str | None:
    """The study language asked for by ``?lang=``, else the browser's first one we have."""
    asked = [request.query_params.get("lang") or ""]
    for part in request.headers.get("accept-language", "").split(","):
        asked.append(part.split(";")[0])
    for tag in asked:
        code = tag.strip().lower().replace("_", "-").split("-")[0]
        code = ALIASES.get(code, code)
        if code in languages:
            return code
    return None


def kind_of(status: int, cannot_write: bool) -> str:
    if status == 503:
        return "storage" if cannot_write else "unavailable"
    if status >= 500:
        return "failure"
    return {403: "stale", 404: "missing", 429: "attempts"}.get(status, "refused")


def trouble_page(
    request: Request[Any, Any, Any], status: int, headers: dict[str, str], cannot_write: bool
) -> Template:
    from survey.respondent_routes import STUDY_LANGUAGES

    first = preferred(request, STUDY_LANGUAGES)
    order = [first] if first else []
    order += [code for code in STUDY_LANGUAGES if code != first]
    retry = headers.get("Retry-After", "")
    minutes = max(1, -(-int(retry) // 60)) if retry.isdigit() else 1
    return Template(
        template_name="survey/respond/trouble.html",
        context={
            "translators": [(code, translator(code)) for code in order],
            "kind": kind_of(status, cannot_write),
            "minutes": minutes,
        },
        status_code=status,
        headers=headers,
    )
