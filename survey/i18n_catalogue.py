"""The catalogue template: every respondent-facing message id, found in the code and templates.

``python -m survey.i18n_catalogue`` rewrites ``survey/locale/microcasa.pot``;
translators copy new entries into each ``<code>.po``. A test fails when a
message is missing from the template or untranslated in a catalogue.
"""

from __future__ import annotations

import re
from pathlib import Path

SURVEY_DIR = Path(__file__).parent
SOURCES = (
    *sorted((SURVEY_DIR / "templates" / "survey").rglob("*.html")),
    SURVEY_DIR / "respondent_routes.py",
)
_CALL = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def message_ids() -> list[str]:
    """Every literal passed to ``_()``, plus the default privacy notice, in order of appearance."""
    from survey.respondent_routes import DEFAULT_NOTICE

    found: list[str] = []
    for path in SOURCES:
        for match in _CALL.finditer(path.read_text(encoding="utf-8")):
            text = match.group(1) if match.group(1) is not None else match.group(2)
            if text not in found:
                found.append(text)
    if DEFAULT_NOTICE not in found:
        found.append(DEFAULT_NOTICE)
    return found


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def template_text() -> str:
    lines = [
        "# Respondent-facing messages of microcasa.",
        'msgid ""',
        'msgstr ""',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        "",
    ]
    for message in message_ids():
        lines += [f"msgid {_quote(message)}", 'msgstr ""', ""]
    return "\n".join(lines)


if __name__ == "__main__":
    target = SURVEY_DIR / "locale" / "microcasa.pot"
    target.write_text(template_text(), encoding="utf-8")
    print(f"wrote {target}")  # noqa: T201
