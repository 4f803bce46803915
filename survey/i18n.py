"""Respondent-facing words of the platform (buttons, progress, errors) in the study languages.

The texts are gettext catalogues, ``survey/locale/<code>.po``; the questionnaire's
own texts come from the form. English is the source language: a missing
translation shows the English text.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from survey.xlsform.model import language_code

LOCALE_DIR = Path(__file__).parent / "locale"
SOURCE_LANGUAGE = "en"


@cache
def catalogue(code: str) -> dict[str, str]:
    """msgid -> msgstr for one language code (empty for English and unknown codes)."""
    path = LOCALE_DIR / f"{code}.po"
    if code == SOURCE_LANGUAGE or not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=None)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and isinstance(message.string, str) and message.string and not message.fuzzy
    }


def available() -> tuple[str, ...]:
    return (SOURCE_LANGUAGE, *sorted(p.stem for p in LOCALE_DIR.glob("*.po")))


def translator(language: str) -> Callable[..., str]:
    """``_("Next")`` in a language: a code (``ms``) or a form label (``Bahasa Melayu (ms)``)."""
    texts = catalogue(language_code(language).lower())

    def gettext(message: str, **values: Any) -> str:
        text = texts.get(message, message)
        return text.format(**values) if values else text

    return gettext
