"""Whatever the sheets hold, the reader gives a Form or FormInvalid with issues that point home."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey.xlsform import FormInvalid, FormIssue, read_sheets
from survey.xlsform.sheets import Row, Sheet

TYPES = [
    "text",
    "int",
    "decimal",
    "date",
    "note",
    "calculate",
    "trigger",
    "select_one yn",
    "select all that apply yn",
    "select_multiple yn",
    "select_one",
    "select_one zz",
    "begin_group",
    "end group",
    "begin repeat",
    "rank yn",
    "frob",
    "",
]
NAMES = ["a", "b", "g", "yes", "1a", "x y", "²", ""]
TEXTS = ["A question", "Eine Frage", "²", ""]
EXPRESSIONS = [
    "${a} > 1",
    "${b} + 1",
    ". > 0",
    "(",
    "'",
    "if(1, 2)",
    "region = ${a}",
    "name != ${b}",
    "selected(${a}, 'yes')",
    "yes",
    "true()",
    "",
]
# Values each column draws from: few enough that combinations that matter come up.
COLUMNS = {
    "type": TYPES,
    "name": NAMES,
    "label": TEXTS,
    "label::English (en)": TEXTS,
    "label::Deutsch (de)": TEXTS,
    "hint": TEXTS,
    "required": EXPRESSIONS,
    "relevant": EXPRESSIONS,
    "constraint": EXPRESSIONS,
    "calculation": EXPRESSIONS,
    "choice_filter": EXPRESSIONS,
    "parameters": ["max-pick=2", "max-pick=²", "max-pick=0", "randomize", "seed=1", ""],
    "appearance": ["minimal", "table-list", "bogus", ""],
    "media::image": ["a.png", ""],
    "list_name": ["yn", "zz", ""],
    "region": ["north", ""],
}
SURVEY_HEADERS = [h for h in COLUMNS if h not in ("type", "list_name", "region")]
CHOICE_HEADERS = ["name", "label", "label::English (en)", "region"]
PLACEHOLDER = re.compile(r"(?<!\$)\{[a-z_]+\}")


@st.composite
def sheet(draw: st.DrawFn, name: str, first: str, headers: list[str]) -> Sheet:
    """A sheet with column ``first`` and some of ``headers``, each cell from COLUMNS."""
    chosen = [first, *draw(st.lists(st.sampled_from(headers), max_size=7, unique=True))]
    rows = []
    for number in range(2, draw(st.integers(2, 9))):
        cells = {h: draw(st.sampled_from(COLUMNS[h])) for h in chosen}
        rows.append(Row(number, {h: v for h, v in cells.items() if v}))
    return Sheet(name, tuple(chosen), tuple(rows))


@st.composite
def workbook(draw: st.DrawFn) -> list[Sheet]:
    sheets = [draw(sheet("survey", "type", SURVEY_HEADERS))]
    if draw(st.booleans()):
        sheets.append(draw(sheet("choices", "list_name", CHOICE_HEADERS)))
    return sheets


def check_issue(found: FormIssue, sheets: list[Sheet]) -> None:
    assert found.message and not PLACEHOLDER.search(found.message), found.message
    if found.row is not None:
        (home,) = [s for s in sheets if s.name == found.sheet]
        assert found.row in {row.number for row in home.rows}, found


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheets=workbook())
def test_any_sheets_give_a_form_or_issues_that_point_at_their_rows(sheets: list[Sheet]) -> None:
    try:
        result = read_sheets(sheets)
    except FormInvalid as exc:
        issues, refused = exc.issues, exc
    else:
        issues, refused = list(result.warnings), None
        assert all(q.name for q in result.form.questions)
    assert refused is None or refused.errors
    for found in issues:
        check_issue(found, sheets)
