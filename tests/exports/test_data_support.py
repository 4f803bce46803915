"""What the data-file and codebook tests share: a small two-language form and its responses.

The form reads like the spreadsheet; a choice label and the free-text answers carry
the formula / XSS corpus of docs/SECURITY.md.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from analysis.frame import Frame, load_responses
from exports.codebook import forms_of
from microcasa.db import Database
from survey import versions
from survey.models import Response, VersionStatus
from survey.submissions import submit_api
from survey.xlsform.model import Form

FORM_ID = "exportcheck"
FORMULA = '=HYPERLINK("http://x")'
# Text a spreadsheet would run as a formula, and text that must only survive intact.
CORPUS = (
    FORMULA,
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    " =1",
    "<script>alert(1)</script>",
    "مرحبا بالعالم",  # right to left
    "emoji 🎓 and zero\u200bwidth",
)
FORMULA_LIKE = frozenset(CORPUS[:7])

FORM = f"""
## settings

| form_id | version | title | default_language |
| --- | --- | --- | --- |
| {FORM_ID} | 1 | Export check | English (en) |

## survey

| type | name | label::English (en) | label::Bahasa Melayu (ms) | relevant | constraint |
| --- | --- | --- | --- | --- | --- |
| begin_group | g | Group | Kumpulan | ${{q_num}} >= 0 | |
| select_one agree | q_agree | Do you agree? | Adakah anda setuju? | | |
| end_group | | | | | |
| select_one pick | q_pick | Pick one | Pilih satu | | |
| select_multiple opts | q_opts | Options | Pilihan | | |
| integer | q_num | How many? | Berapa? | | . >= 0 |
| decimal | q_dec | Share | Bahagian | ${{q_num}} > 1 | |
| text | q_text | Comment | Komen | | |
| date | q_date | When? | Bila? | | |

## choices

| list_name | name | label::English (en) | label::Bahasa Melayu (ms) |
| --- | --- | --- | --- |
| agree | 1 | Disagree | Tidak setuju |
| agree | 2 | Neutral | Neutral |
| agree | 3 | Agree | Setuju |
| agree | dk | Don't know | Tidak tahu |
| pick | x | {FORMULA} | {FORMULA} |
| pick | y | Plain | Biasa |
| pick | refused | Refused | Enggan |
| pick | na | Not applicable | Tidak berkenaan |
| opts | o1 | Option one | Pilihan satu |
| opts | o2 | Option two | Pilihan dua |
"""


def answers(at: int) -> dict[str, Any]:
    """The answers of response number ``at``: every corpus text in turn, a mix of choices."""
    chosen: dict[str, Any] = {
        "q_agree": ["1", "2", "3", "dk"][at % 4],
        "q_pick": ["x", "y", "refused", "na"][at % 4],
        "q_num": at,
        "q_text": CORPUS[at % len(CORPUS)],
        "q_date": f"2026-0{1 + at % 9}-1{at % 10}",
    }
    if at % 3:
        chosen["q_opts"] = ["o1", "o2"][: at % 3]
    if at > 1:
        chosen["q_dec"] = at / 4
    return chosen


def publish_form(database: Database) -> None:
    with database.transaction() as session:
        versions.publish(
            session, FORM.encode(), f"{FORM_ID}.md", publisher="tester", status=VersionStatus.OPEN
        )


def store(session: Session, chosen: dict[str, Any], country: str = "MY") -> int:
    """A complete response through the JSON API; its id."""
    body = {
        "instance_id": str(uuid.uuid4()),
        "language": "English (en)",
        "country": country,
        "answers": chosen,
    }
    questionnaire = versions.get_questionnaire(session, FORM_ID)
    stored = submit_api(
        session, questionnaire, body, invitation=None, country_scope=None, submitted_by_id=None
    )
    assert stored.response.id is not None
    return stored.response.id


def store_partial(session: Session, chosen: dict[str, Any]) -> int:
    """An unfinished response, as a page saves it."""
    version = versions.get_version(session, FORM_ID, "1")
    response = Response(
        instance_id=str(uuid.uuid4()),
        form_version_id=version.id,
        channel="open_link",
        country="ID",
        language="English (en)",
        answers=chosen,
    )
    session.add(response)
    session.flush()
    assert response.id is not None
    return response.id


def filled(database: Database, count: int = 12) -> list[int]:
    """The form published and ``count`` complete responses stored; their ids."""
    publish_form(database)
    with database.transaction() as session:
        return [store(session, answers(at)) for at in range(count)]


def frame_and_forms(
    database: Database, include_partial: bool = False
) -> tuple[Frame, tuple[tuple[str, Form], ...]]:
    with database.session() as session:
        frame = load_responses(session, FORM_ID, include_partial=include_partial)
        return frame, forms_of(session, FORM_ID, frame.versions)
