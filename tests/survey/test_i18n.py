"""Respondent-facing words exist in every study language, with their placeholders."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from survey.i18n import LOCALE_DIR, translator
from survey.i18n_catalogue import message_ids, template_text

LANGUAGES = ("id", "ms", "fil", "de", "it", "es")


def test_the_catalogue_template_is_up_to_date() -> None:
    written = (LOCALE_DIR / "microcasa.pot").read_text(encoding="utf-8")
    assert written == template_text(), "run: python -m survey.i18n_catalogue"


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_message_is_translated(code: str) -> None:
    with (LOCALE_DIR / f"{code}.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id: m.string for m in catalog if m.id and not m.fuzzy}
    for message in message_ids():
        text = translated.get(message)
        assert text, f"{code}.po has no translation of {message!r}"
        assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", message))


def test_translator_takes_codes_and_form_labels_and_falls_back_to_english() -> None:
    assert translator("Bahasa Melayu (ms)")("Next") == translator("ms")("Next") != "Next"
    assert translator("de")("Page {number} of {total}", number=3, total=9).count("3") == 1
    assert translator("xx")("Next") == "Next"
    assert translator("en")("Next") == "Next"
