"""Reading valid XLSForm questionnaires: types, names, lists, languages, pages, settings.

Each questionnaire is a markdown table as it would be in the spreadsheet; row
numbers are the spreadsheet's (the header is row 1).
"""

from __future__ import annotations

import pytest

from survey.xlsform import Form, Page, ReadResult, read_markdown_form, read_xlsx
from survey.xlsform.definition import from_definition, to_definition
from survey.xlsform.model import text_in
from survey.xlsform.sheets import read_markdown, write_workbook

YES_NO = """
## choices

| list_name | name | label |
| --- | --- | --- |
| yn | yes | Yes |
| yn | no | No |
"""


def read(text: str, name: str = "form") -> Form:
    result = read_markdown_form(text, name)
    assert result.warnings == ()
    return result.form


def one_question(row: str, header: str = "| type | name | label |", more: str = YES_NO) -> Form:
    return read(f"## survey\n\n{header}\n| --- |\n{row}\n{more}")


def test_a_minimal_questionnaire() -> None:
    form = one_question("| text | village | Name of your village |")
    (question,) = form.questions
    assert (question.name, question.type, question.row) == ("village", "text", 2)
    assert dict(question.labels) == {"default": "Name of your village"}
    assert question.list_name is None and question.group is None and question.groups == ()
    assert (question.required, question.relevant, question.constraint) == ("", "", "")
    assert form.languages == ("default",)
    assert form.default_language == "default"
    assert form.pages == (Page("village", None, ("village",)),)


@pytest.mark.parametrize(
    ("written", "kind", "list_name"),
    [
        ("text", "text", None),
        ("integer", "integer", None),
        ("int", "integer", None),
        ("decimal", "decimal", None),
        ("date", "date", None),
        ("note", "note", None),
        ("acknowledge", "acknowledge", None),
        ("trigger", "acknowledge", None),
        ("select_one yn", "select_one", "yn"),
        ("select one yn", "select_one", "yn"),
        ("select_multiple yn", "select_multiple", "yn"),
        ("select multiple yn", "select_multiple", "yn"),
        ("select all that apply yn", "select_multiple", "yn"),
        ("Select_One   yn", "select_one", "yn"),
        ("TEXT", "text", None),
    ],
)
def test_types_and_their_old_spellings(written: str, kind: str, list_name: str | None) -> None:
    (question,) = one_question(f"| {written} | q | Q |").questions
    assert (question.type, question.list_name) == (kind, list_name)
    assert question.is_select == (list_name is not None)
    assert question.is_answerable == (kind != "note")


@pytest.mark.parametrize("name", ["q1", "_private", "a.b", "a-b", "Q_2.x-y", "éducation", "x" * 60])
def test_valid_names(name: str) -> None:
    assert one_question(f"| text | {name} | Q |").names() == (name,)


def test_group_spellings_and_nesting() -> None:
    form = read(
        """
## survey

| type | name | label |
| --- | --- | --- |
| begin group | household | Household |
| integer | members | Members |
| begin_group | head | Head of household |
| text | head_name | Name |
| end_group | head | |
| end group | household | |
| text | after | After |
"""
    )
    assert [(g.name, g.row, g.parent) for g in form.groups] == [
        ("household", 2, None),
        ("head", 4, "household"),
    ]
    assert dict(form.group("head").labels) == {"default": "Head of household"}
    members, head_name, after = form.questions
    assert (members.group, members.groups) == ("household", ("household",))
    assert (head_name.group, head_name.groups) == ("head", ("household", "head"))
    assert (after.group, after.groups) == (None, ())


def test_each_top_level_group_is_a_page_and_lone_questions_are_pages_of_their_own() -> None:
    form = read(
        """
## survey

| type | name | label | calculation | relevant | appearance |
| --- | --- | --- | --- | --- | --- |
| note | welcome | Welcome | | | |
| calculate | two | | 1 + 1 | | |
| begin_group | a | Part A | | | field-list |
| integer | a1 | A1 | | | |
| begin_group | a_inner | Inner | | | table-list |
| text | a2 | A2 | | | |
| end_group | | | | | |
| calculate | a_total | | ${a1} * 2 | | |
| end_group | | | | | |
| text | between | Between | | | |
| begin_group | b | Part B | | ${a1} > 1 | |
| date | b1 | B1 | | | |
| end_group | | | | | |
| calculate | last | | ${b1} | | |
"""
    )
    assert form.pages == (
        Page("welcome", None, ("welcome",)),
        Page("a", "a", ("a1", "a2", "a_total")),
        Page("between", None, ("between",)),
        Page("b", "b", ("b1",)),
    )
    assert form.group("b").relevant == "${a1} > 1"
    assert form.group("a").appearance == "field-list"
    assert form.group("a_inner").appearance == "table-list"


def test_choice_lists_keep_order_labels_and_further_columns() -> None:
    form = read(
        """
## survey

| type | name | label::English (en) | label::Français (fr) | choice_filter |
| --- | --- | --- | --- | --- |
| select_one country | country | Country | Pays | |
| select_multiple city | cities | Cities | Villes | country = ${country} |

## choices

| list name | name | label::English (en) | label::Français (fr) | country | media::image |
| --- | --- | --- | --- | --- | --- |
| country | ch | Switzerland | Suisse | | ch.png |
| country | fr | France | France | | |
| city | geneva | Geneva | Genève | ch | |
| city | paris | Paris | Paris | fr | |
| city | lyon | Lyon | Lyon | fr | |
"""
    )
    country, cities = form.questions
    assert form.choices_for(country).names() == ("ch", "fr")
    assert form.choices_for(cities).names() == ("geneva", "paris", "lyon")
    switzerland = form.choices["country"].get("ch")
    assert switzerland is not None
    assert dict(switzerland.labels) == {"English (en)": "Switzerland", "Français (fr)": "Suisse"}
    assert dict(switzerland.extra) == {"media::image": "ch.png"}
    geneva = form.choices["city"].get("geneva")
    assert geneva is not None and dict(geneva.extra) == {"country": "ch"}
    assert form.choices["city"].get("rome") is None
    assert cities.choice_filter == "country = ${country}"
    assert form.expression("cities", "choice_filter") is not None


def test_labels_and_hints_per_language_and_the_default_language() -> None:
    form = read(
        """
## settings

| default_language |
| --- |
| English (en) |

## survey

| type | name | label::English (en) | label::Deutsch (de) | hint::English (en) | hint::Deutsch (de) | required_message::English (en) | required_message::Deutsch (de) | constraint | constraint_message::English (en) | constraint_message::Deutsch (de) | required |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
| integer | age | Age | Alter | In years | In Jahren | Please answer | Bitte antworten | . < 120 | Too old | Zu alt | yes |
"""  # noqa: E501
    )
    (age,) = form.questions
    assert form.languages == ("English (en)", "Deutsch (de)")
    assert form.default_language == "English (en)"
    assert dict(age.labels) == {"English (en)": "Age", "Deutsch (de)": "Alter"}
    assert dict(age.hints) == {"English (en)": "In years", "Deutsch (de)": "In Jahren"}
    assert dict(age.required_messages) == {
        "English (en)": "Please answer",
        "Deutsch (de)": "Bitte antworten",
    }
    assert dict(age.constraint_messages) == {"English (en)": "Too old", "Deutsch (de)": "Zu alt"}
    assert text_in(age.labels, "de", form.default_language) == "Alter"
    assert text_in(age.labels, "Italiano (it)", form.default_language) == "Age"


def test_without_default_language_setting_the_first_language_is_the_default() -> None:
    form = one_question(
        "| text | q | Frage | Question |",
        "| type | name | label::Deutsch (de) | label::English (en) |",
        more="",
    )
    assert form.languages == ("Deutsch (de)", "English (en)")
    assert form.default_language == "Deutsch (de)"


def test_a_bare_label_is_the_default_language_next_to_translations() -> None:
    form = read(
        """
## survey

| type | name | label | label::Français (fr) |
| --- | --- | --- | --- |
| text | q | Question | Question en français |
"""
    )
    assert form.languages == ("default", "Français (fr)")
    assert form.default_language == "default"
    assert dict(form.questions[0].labels) == {
        "default": "Question",
        "Français (fr)": "Question en français",
    }


def test_bare_columns_with_a_default_language_setting_name_that_language() -> None:
    form = read(
        """
## survey

| type | name | label |
| --- | --- | --- |
| text | q | Question |

## settings

| default_language |
| --- |
| English (en) |
"""
    )
    assert form.languages == ("English (en)",)
    assert form.default_language == "English (en)"
    assert text_in(form.questions[0].labels, "English (en)", form.default_language) == "Question"


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("yes", "true"),
        ("Yes", "true"),
        ("TRUE", "true"),
        ("true", "true"),
        ("true()", "true"),
        ("1", "true"),
        ("no", ""),
        ("FALSE", ""),
        ("false()", ""),
        ("0", ""),
        ("", ""),
        ("${other} = 'yes'", "${other} = 'yes'"),
        ("${other} != ''", "${other} != ''"),
    ],
)
def test_required_is_normalised_and_expressions_are_kept(written: str, kept: str) -> None:
    form = read(
        f"""
## survey

| type | name | label | required |
| --- | --- | --- | --- |
| text | other | Other | |
| text | q | Q | {written} |
"""
    )
    assert form.question("q").required == kept
    parsed = form.expression("q", "required")
    assert (parsed is not None) == (kept not in ("", "true"))


def test_expressions_are_parsed_when_the_form_is_read() -> None:
    form = read(
        """
## survey

| type | name | label | relevant | constraint | calculation |
| --- | --- | --- | --- | --- | --- |
| integer | n | N | | . > 0 | |
| calculate | double | | | | ${n} * 2 |
| text | why | Why? | ${double} > 10 | | |
"""
    )
    assert set(form.expressions) == {
        ("n", "constraint"),
        ("double", "calculation"),
        ("why", "relevant"),
    }
    assert form.question("double").calculation == "${n} * 2"


@pytest.mark.parametrize(
    ("written", "parameters", "max_pick"),
    [
        ("max-pick=3", {"max-pick": "3"}, 3),
        ("max_pick=2", {"max_pick": "2"}, 2),
        ("max-pick=2 randomize=true", {"max-pick": "2", "randomize": "true"}, 2),
        ("max-pick=2;randomize=true", {"max-pick": "2", "randomize": "true"}, 2),
        ("max-pick=2, seed=7", {"max-pick": "2", "seed": "7"}, 2),
        ("", {}, None),
    ],
)
def test_parameters(written: str, parameters: dict[str, str], max_pick: int | None) -> None:
    (question,) = one_question(
        f"| select_multiple yn | q | Q | {written} |", "| type | name | label | parameters |"
    ).questions
    assert dict(question.parameters) == parameters
    assert question.max_pick == max_pick


def test_appearance_default_and_the_choice_filter_are_kept() -> None:
    (question,) = one_question(
        "| select_one yn | q | Q | minimal horizontal | yes |",
        "| type | name | label | appearance | default |",
    ).questions
    assert (question.appearance, question.default) == ("minimal horizontal", "yes")


def test_settings() -> None:
    form = read(
        """
## settings

| form_id | form_title | version | style | instance_name |
| --- | --- | --- | --- | --- |
| hh_survey | Household survey | 2026010101 | pages | concat('hh-', ${q}) |

## survey

| type | name | label |
| --- | --- | --- |
| text | q | Q |
"""
    )
    assert (form.form_id, form.title, form.version) == (
        "hh_survey",
        "Household survey",
        "2026010101",
    )
    assert form.settings["style"] == "pages"  # other settings are kept as metadata
    assert form.settings["instance_name"] == "concat('hh-', ${q})"


def test_form_id_falls_back_to_the_file_name_and_the_title_to_the_id() -> None:
    data = write_workbook(read_markdown("## survey\n| type | name | label |\n| text | q | Q |"))
    form = read_xlsx(data, "uploads/Village survey (v2).xlsx").form
    assert form.form_id == "Village_survey__v2_"
    assert form.title == "Village_survey__v2_"
    assert form.version == ""


def test_the_same_form_from_xlsx_and_from_markdown() -> None:
    text = """
## survey

| type | name | label::English (en) | label::Español (es) | relevant |
| --- | --- | --- | --- | --- |
| select_one yn | ok | OK? | ¿Bien? | |
|  |  |  |  |  |
| integer | n | How many? | ¿Cuántos? | ${ok} = 'yes' |

## choices

| list_name | name | label::English (en) | label::Español (es) |
| --- | --- | --- | --- |
| yn | yes | Yes | Sí |
| yn | no | No | No |

## settings

| form_id | version |
| --- | --- |
| same | 7 |
"""
    from_markdown = read_markdown_form(text)
    from_xlsx = read_xlsx(write_workbook(read_markdown(text)), "same.xlsx")
    assert isinstance(from_xlsx, ReadResult)
    assert from_xlsx == from_markdown
    assert from_xlsx.form.question("n").row == 4  # the blank row keeps its place


def test_the_definition_gives_back_the_same_form() -> None:
    form = read(
        """
## survey

| type | name | label | relevant | calculation | parameters | choice_filter |
| --- | --- | --- | --- | --- | --- | --- |
| begin_group | g | G | | | | |
| select_multiple yn | q | Q | | | max-pick=1 | |
| calculate | c | | | count-selected(${q}) | | |
| end_group | | | | | | |
| select_one yn | r | R | ${c} > 0 | | | name != 'no' |
"""
        + YES_NO
    )
    assert from_definition(to_definition(form)) == form
