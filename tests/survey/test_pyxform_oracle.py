"""pyxform, the reference implementation of XLSForm, as an oracle for our reader.

Every questionnaire of the corpus (``tests/survey/forms/*.md`` and the bundled
MICROCASA questionnaire) is written to a real .xlsx, read by our reader and by
pyxform's ``parse_file_to_json``, and both readings are brought to the same
plain shape: one entry per question or group in form order, and the choice lists.
The two must be equal.

Where the two speak differently about the same thing, the translation is here
and nowhere else:

- pyxform keeps a type's old spelling ("select one", "int", "trigger");
- it keeps ``required`` as written ("yes", "TRUE", "true()") where we keep "true";
- it gives a bare ``label`` as a string where we key it "default";
- it cleans every text (its ``clean_text_values`` setting, on by default):
  curly quotes become straight ones and runs of whitespace one space, where we
  keep the author's text as written;
- it rewrites a ``table-list`` group for ODK Collect: a ``field-list`` whose
  label moves to a generated note, followed by a generated header select, with
  ``list-nolabel`` on each question of the table.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from pyxform.errors import PyXFormError
from pyxform.parsing.sheet_headers import clean_text_values
from pyxform.xls2json import parse_file_to_json

from survey.xlsform import Form, FormInvalid, read_xlsx
from survey.xlsform.sheets import Row, Sheet, read_markdown, write_workbook

FORMS = Path(__file__).parent / "forms"
BUNDLED = Path(__file__).parents[2] / "survey" / "forms" / "microcasa_hei.md"
CORPUS = [*sorted(FORMS.glob("*.md")), BUNDLED]

PYXFORM_TYPES = {
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "trigger": "acknowledge",
    "int": "integer",
    "group": "begin_group",
}
TRUE_WORDS = {"yes", "true", "true()"}
FALSE_WORDS = {"no", "false", "false()"}

Entry = dict[str, Any]


def without_parameters(sheets: list[Sheet]) -> list[Sheet]:
    """The sheets without the survey's ``parameters`` column.

    pyxform accepts only ``randomize`` and ``seed`` as parameters of a select and
    refuses ``max-pick`` (a KoboToolbox/Enketo extension that we accept), so the
    copy pyxform reads has no parameters column; everything else is compared.
    """
    return [
        Sheet(
            sheet.name,
            tuple(h for h in sheet.headers if h != "parameters"),
            tuple(
                Row(row.number, {k: v for k, v in row.cells.items() if k != "parameters"})
                for row in sheet.rows
            ),
        )
        if sheet.name == "survey"
        else sheet
        for sheet in sheets
    ]


def texts(value: object) -> dict[str, str]:
    """pyxform gives one language as a string and several as a dict."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {"default": value}
    assert isinstance(value, Mapping)
    return {str(k): str(v) for k, v in value.items() if v}


def cleaned(value: Any) -> Any:
    """Our value as pyxform cleans text: straight quotes, single spaces."""
    if isinstance(value, str):
        return clean_text_values(value, strip_whitespace=True)
    if isinstance(value, Mapping):
        return {k: cleaned(v) for k, v in value.items()}
    return value


def required(value: str) -> str:
    lowered = value.strip().lower()
    if lowered in TRUE_WORDS:
        return "true"
    if lowered in FALSE_WORDS:
        return ""
    return value


def is_table_list(group: Mapping[str, Any]) -> bool:
    children = group.get("children") or [{}]
    return str(children[0].get("name", "")).startswith("generated_table_list_label_")


def pyxform_entries(children: list[dict[str, Any]], in_table: bool = False) -> Iterator[Entry]:
    for child in children:
        if child.get("control", {}).get("bodyless"):
            continue  # the meta group pyxform adds for instanceID
        if child["name"].startswith(
            ("generated_table_list_label_", "reserved_name_for_field_list_labels_")
        ):
            continue  # the label note and header select pyxform adds to a table-list
        bind = child.get("bind", {})
        kind = PYXFORM_TYPES.get(child["type"], child["type"])
        appearance = child.get("control", {}).get("appearance", "")
        label = child.get("label")
        table = kind == "begin_group" and is_table_list(child)
        if table:
            appearance, label = "table-list", child["children"][0].get("label")
        if in_table and appearance == "list-nolabel":
            appearance = ""
        entry: Entry = {
            "name": child["name"],
            "type": kind,
            "labels": texts(label),
            "relevant": bind.get("relevant", ""),
            "appearance": appearance,
        }
        if kind != "begin_group":
            entry |= {
                "list_name": child.get("list_name"),
                "hints": texts(child.get("hint")),
                "required": required(bind.get("required", "")),
                "required_messages": texts(bind.get("jr:requiredMsg")),
                "constraint": bind.get("constraint", ""),
                "constraint_messages": texts(bind.get("jr:constraintMsg")),
                "calculation": bind.get("calculate", ""),
                "choice_filter": child.get("choice_filter", ""),
                "default": child.get("default", ""),
            }
        yield entry
        if kind == "begin_group":
            yield from pyxform_entries(child["children"], table)


def our_entries(form: Form) -> list[Entry]:
    rows: list[tuple[int, Entry]] = [
        (
            group.row,
            {
                "name": group.name,
                "type": "begin_group",
                "labels": dict(group.labels),
                "relevant": group.relevant,
                "appearance": group.appearance,
            },
        )
        for group in form.groups
    ]
    rows += [
        (
            q.row,
            {
                "name": q.name,
                "type": q.type,
                "labels": dict(q.labels),
                "relevant": q.relevant,
                "appearance": q.appearance,
                "list_name": q.list_name,
                "hints": dict(q.hints),
                "required": q.required,
                "required_messages": dict(q.required_messages),
                "constraint": q.constraint,
                "constraint_messages": dict(q.constraint_messages),
                "calculation": q.calculation,
                "choice_filter": q.choice_filter,
                "default": q.default,
            },
        )
        for q in form.questions
    ]
    return [cleaned(entry) for _, entry in sorted(rows, key=lambda pair: pair[0])]


def flat_extra(choice: Mapping[str, Any]) -> dict[str, str]:
    """A choice's further columns; pyxform nests ``media::image`` as media → image."""
    extra: dict[str, str] = {}
    for key, value in choice.items():
        if key in ("name", "label"):
            continue
        if isinstance(value, Mapping):
            extra |= {f"{key}::{sub}": str(v) for sub, v in value.items()}
        else:
            extra[key] = str(value)
    return extra


def pyxform_choices(data: Mapping[str, Any], lists: set[str]) -> dict[str, list[Entry]]:
    return {
        name: [
            {"name": c["name"], "labels": texts(c.get("label")), "extra": flat_extra(c)}
            for c in data["choices"][name]
        ]
        for name in sorted(lists)
    }


def our_choices(form: Form) -> dict[str, list[Entry]]:
    used = {q.list_name for q in form.questions if q.list_name}
    return {
        name: [
            {"name": c.name, "labels": cleaned(dict(c.labels)), "extra": dict(c.extra)}
            for c in form.choices[name].choices
        ]
        for name in sorted(used)
    }


@pytest.fixture(scope="module", params=CORPUS, ids=[path.stem for path in CORPUS])
def both(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """(our Form, pyxform's JSON) for one questionnaire of the corpus."""
    path: Path = request.param
    sheets = read_markdown(path.read_text(encoding="utf-8"))
    ours = read_xlsx(write_workbook(sheets), f"{path.stem}.xlsx").form
    workbook = tmp_path_factory.mktemp("pyxform") / f"{path.stem}.xlsx"
    workbook.write_bytes(write_workbook(without_parameters(sheets)))
    return ours, parse_file_to_json(str(workbook), warnings=[])


def test_the_corpus_is_varied() -> None:
    assert len(CORPUS) >= 9
    assert BUNDLED in CORPUS


def test_questions_and_groups_agree_in_order(both: tuple) -> None:
    ours, theirs = both
    assert [(e["name"], e["type"]) for e in our_entries(ours)] == [
        (e["name"], e["type"]) for e in pyxform_entries(theirs["children"])
    ]


def test_every_column_agrees(both: tuple) -> None:
    ours, theirs = both
    for mine, reference in zip(our_entries(ours), pyxform_entries(theirs["children"]), strict=True):
        assert mine == reference, mine["name"]


def test_choice_lists_agree(both: tuple) -> None:
    ours, theirs = both
    used = {q.list_name for q in ours.questions if q.list_name}
    assert our_choices(ours) == pyxform_choices(theirs, used)


def test_settings_agree(both: tuple) -> None:
    ours, theirs = both
    assert ours.form_id == theirs["id_string"]
    assert ours.title == theirs["title"]
    assert ours.version == theirs.get("version", "")
    assert ours.default_language == theirs["default_language"]


def survey(*rows: str, header: str = "| type | name | label |", more: str = "") -> str:
    return "## survey\n" + header + "\n" + "\n".join(rows) + "\n" + more


YES_NO = "## choices\n| list_name | name | label |\n| yn | yes | Yes |\n| yn | no | No |\n"
CALCULATION = "| type | name | label | calculation |"

# Questionnaires pyxform refuses, and the error our reader gives for each.
REFUSED_BY_BOTH = {
    "duplicate name": (survey("| text | a | A |", "| text | a | B |"), "DUPLICATE_NAME"),
    "bad name": (survey("| text | 1a | A |"), "BAD_NAME"),
    "name with a space": (survey("| text | a b | A |"), "BAD_NAME"),
    "name starting with -": (survey("| text | -a | A |"), "BAD_NAME"),
    "missing name": (survey("| text | | A |"), "MISSING_NAME"),
    "missing type": (survey("| | a | A |", "| text | b | B |"), "MISSING_TYPE"),
    "unknown list": (survey("| select_one zz | a | A |", more=YES_NO), "UNKNOWN_LIST"),
    "no choices sheet": (survey("| select_one yn | a | A |"), "NO_CHOICES_SHEET"),
    "unmatched end_group": (survey("| text | a | A |", "| end_group | | |"), "UNMATCHED_END"),
    "unclosed group": (survey("| begin_group | g | G |", "| text | a | A |"), "UNCLOSED_GROUP"),
    "calculate without calculation": (
        survey("| calculate | c | | |", "| text | b | B | |", header=CALCULATION),
        "CALCULATE_WITHOUT_CALCULATION",
    ),
    "unknown reference": (
        survey("| text | a | A | ${nope} = 1 |", header="| type | name | label | relevant |"),
        "EXPRESSION_PROBLEM",
    ),
    "space in a select_multiple choice": (
        survey(
            "| select_multiple yn | a | A |",
            more="## choices\n| list_name | name | label |\n| yn | a b | AB |\n",
        ),
        "CHOICE_WITH_SPACE",
    ),
    "duplicate choice": (
        survey("| select_one yn | a | A |", more=YES_NO + "| yn | yes | Again |\n"),
        "DUPLICATE_CHOICE",
    ),
    "choice without name": (
        survey("| select_one yn | a | A |", more=YES_NO + "| yn | | Nameless |\n"),
        "CHOICE_WITHOUT_NAME",
    ),
    "parameter without =": (
        survey(
            "| select_multiple yn | a | A | randomize |",
            header="| type | name | label | parameters |",
            more=YES_NO,
        ),
        "BAD_PARAMETER",
    ),
    "duplicate column": (
        survey("| text | a | A | B |", header="| type | name | label | label |"),
        "DUPLICATE_COLUMN",
    ),
}

# Questionnaires pyxform's reader lets through (some only for ODK Validate to
# catch later) and we refuse, as XLSFORM.md asks: names unique in the whole
# form, labels required, expressions checked when the form is read.
STRICTER_THAN_PYXFORM = {
    "same name in two groups": (
        survey(
            "| begin_group | g1 | G1 |",
            "| text | a | A |",
            "| end_group | | |",
            "| begin_group | g2 | G2 |",
            "| text | a | A |",
            "| end_group | | |",
        ),
        "DUPLICATE_NAME",
    ),
    "missing label": (survey("| text | a | |"), "MISSING_LABEL"),
    "unknown type": (survey("| frob | a | A |"), "UNKNOWN_TYPE"),
    "select without list": (survey("| select_one | a | A |", more=YES_NO), "SELECT_WITHOUT_LIST"),
    "syntax error": (
        survey("| text | a | A | . > |", header="| type | name | label | constraint |"),
        "BAD_EXPRESSION",
    ),
    "unknown function": (
        survey("| text | a | A | frob(.) |", header="| type | name | label | constraint |"),
        "EXPRESSION_PROBLEM",
    ),
    "cycle": (
        survey(
            "| calculate | c1 | | ${c2} |",
            "| calculate | c2 | | ${c1} |",
            "| text | t | T | |",
            header=CALCULATION,
        ),
        "CYCLE",
    ),
    "form_id with a space": (
        survey("| text | a | A |", more="## settings\n| form_id |\n| my form |\n"),
        "BAD_FORM_ID",
    ),
}


def xlsx_file(text: str, folder: Path) -> Path:
    path = folder / "form.xlsx"
    path.write_bytes(write_workbook(read_markdown(text)))
    return path


def our_codes(path: Path) -> set[str]:
    with pytest.raises(FormInvalid) as caught:
        read_xlsx(path.read_bytes(), path.name)
    return {e.code for e in caught.value.errors}


@pytest.mark.parametrize(("text", "code"), REFUSED_BY_BOTH.values(), ids=REFUSED_BY_BOTH.keys())
def test_what_pyxform_refuses_we_refuse_too(text: str, code: str, tmp_path: Path) -> None:
    path = xlsx_file(text, tmp_path)
    with pytest.raises(PyXFormError):
        parse_file_to_json(str(path), warnings=[])
    assert code in our_codes(path)


@pytest.mark.parametrize(
    ("text", "code"), STRICTER_THAN_PYXFORM.values(), ids=STRICTER_THAN_PYXFORM.keys()
)
def test_where_we_are_stricter_than_pyxform(text: str, code: str, tmp_path: Path) -> None:
    path = xlsx_file(text, tmp_path)
    parse_file_to_json(str(path), warnings=[])
    assert code in our_codes(path)
