"""The engine's answer types: numbers, dates, text and choices, from web pages and from JSON."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal

import pytest

from survey.engine import MAX_INTEGER, MAX_TEXT, convert, evaluate_form
from survey.messages import Message
from survey.xlsform import read_markdown_form

FORM = read_markdown_form(
    """
## survey

| type | name | label::English (en) | label::Deutsch (de) | parameters | choice_filter |
| --- | --- | --- | --- | --- | --- |
| integer | n | Number | Zahl | | |
| decimal | x | Amount | Betrag | | |
| date | d | Date | Datum | | |
| text | t | Text | Text | | |
| acknowledge | ok | Agreed | Zugestimmt | | |
| select_one colour | one | Colour | Farbe | | |
| select_multiple colour | many | Colours | Farben | | |
| select_multiple colour | two | Two colours | Zwei Farben | max-pick=2 | |
| select_one country | country | Country | Land | | |
| select_one city | city | City | Stadt | | country = ${country} |
| select_multiple city | cities | Cities | Städte | | country = ${country} or country = 'any' |

## choices

| list_name | name | label::English (en) | label::Deutsch (de) | country |
| --- | --- | --- | --- | --- |
| colour | red | Red | Rot | |
| colour | green | Green | Grün | |
| colour | blue | Blue | Blau | |
| country | MY | Malaysia | Malaysia | |
| country | DE | Germany | Deutschland | |
| city | kl | Kuala Lumpur | Kuala Lumpur | MY |
| city | penang | Penang | Penang | MY |
| city | berlin | Berlin | Berlin | DE |
| city | elsewhere | Elsewhere | Anderswo | any |

## settings

| form_id | version | default_language |
| --- | --- | --- |
| types | 1 | English (en) |
"""
).form


def one(name: str, raw: object, language: str = "en") -> tuple[object, tuple[str, ...]]:
    """The kept answer and the errors when only this question is answered."""
    result = evaluate_form(FORM, {name: raw}, language)
    return result.answers.get(name), result.errors.get(name, ())


# integer


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), (" 12 ", 12), ("-3", -3), ("+4", 4), ("0", 0), (7, 7), (1.0, 1), (-2.0, -2)],
)
def test_integer_accepts(raw: object, expected: int) -> None:
    value, errors = one("n", raw)
    assert errors == ()
    assert value == expected
    assert type(value) is int


@pytest.mark.parametrize(
    "raw", ["1.0", "1.5", "12a", "1e3", "twelve", "- 3", 1.5, True, False, math.nan, math.inf, [1]]
)
def test_integer_rejects(raw: object) -> None:
    value, errors = one("n", raw)
    assert value is None
    assert errors == (Message.INTEGER.text("en"),)


def test_integer_limits() -> None:
    assert one("n", MAX_INTEGER) == (MAX_INTEGER, ())
    assert one("n", -MAX_INTEGER) == (-MAX_INTEGER, ())
    too_large = (None, (Message.NUMBER_TOO_LARGE.text("en"),))
    assert one("n", MAX_INTEGER + 1) == too_large
    assert one("n", str(MAX_INTEGER + 1)) == too_large
    assert one("n", -(2**60)) == too_large
    assert one("n", 1e20) == too_large
    assert one("n", 10**400) == too_large
    # Thirty digits and more are not parsed at all.
    assert one("n", "9" * 40) == (None, (Message.INTEGER.text("en"),))


def test_integer_messages_in_german() -> None:
    assert one("n", "zwölf", "de")[1] == ("Bitte eine ganze Zahl eingeben, z. B. 12.",)
    assert one("n", 2**60, "Deutsch (de)")[1] == ("Diese Zahl ist zu groß.",)


# decimal


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12.5", 12.5),
        ("12,5", 12.5),
        (" -0.25 ", -0.25),
        ("3", 3.0),
        (3, 3.0),
        (2.5, 2.5),
        (Decimal("2.50"), 2.5),
        ("1e3", 1000.0),
    ],
)
def test_decimal_accepts(raw: object, expected: float) -> None:
    value, errors = one("x", raw)
    assert errors == ()
    assert value == expected
    assert type(value) is float


@pytest.mark.parametrize(
    "raw",
    [
        "nan",
        "NaN",
        "inf",
        "-Infinity",
        math.nan,
        math.inf,
        -math.inf,
        Decimal("NaN"),
        Decimal("sNaN"),
        "1.2.3",
        "1,000.5",
        "abc",
        True,
        [1.5],
        {"x": 1},
    ],
)
def test_decimal_rejects(raw: object) -> None:
    value, errors = one("x", raw)
    assert value is None
    assert errors == (Message.DECIMAL.text("en"),)


@pytest.mark.parametrize("raw", [1e300, "1e300", 1e16, -1e16, 2**60])
def test_decimal_too_large(raw: object) -> None:
    assert one("x", raw) == (None, (Message.NUMBER_TOO_LARGE.text("en"),))


@pytest.mark.parametrize("raw", ["1e999999", "9" * 400, 10**400])
def test_decimal_beyond_floats_is_rejected(raw: object) -> None:
    value, errors = one("x", raw)
    assert value is None
    assert len(errors) == 1
    assert errors[0] in (Message.DECIMAL.text("en"), Message.NUMBER_TOO_LARGE.text("en"))


# date


def test_date_accepts_iso_text_and_date_objects() -> None:
    assert one("d", "2026-03-31") == ("2026-03-31", ())
    assert one("d", " 2024-02-29 ") == ("2024-02-29", ())
    assert one("d", datetime.date(2026, 1, 2)) == ("2026-01-02", ())


def test_date_from_a_spreadsheet_datetime_keeps_the_day() -> None:
    # openpyxl reads a date cell as a datetime at midnight.
    assert one("d", datetime.datetime(2026, 3, 31)) == ("2026-03-31", ())  # noqa: DTZ001


@pytest.mark.parametrize(
    "raw", ["2026-02-30", "2025-02-29", "2026-13-01", "31.03.2026", "2026-3-31", "20260331", 2026]
)
def test_date_rejects(raw: object) -> None:
    assert one("d", raw) == (None, (Message.DATE.text("en"),))


def test_date_constraint_compares_days() -> None:
    form = read_markdown_form(
        """
## survey

| type | name | label | constraint |
| --- | --- | --- | --- |
| date | d | Date | . <= today() |
"""
    ).form
    today = datetime.date(2026, 3, 1)
    assert evaluate_form(form, {"d": "2026-02-28"}, today=today).valid
    assert evaluate_form(form, {"d": datetime.date(2026, 3, 1)}, today=today).valid
    late = evaluate_form(form, {"d": "2026-03-02"}, today=today)
    assert late.errors == {"d": (Message.CONSTRAINT.text("en"),)}


# text


def test_text_is_kept_as_written() -> None:
    assert one("t", "  Hello, world  ") == ("  Hello, world  ", ())
    assert one("t", "x" * MAX_TEXT) == ("x" * MAX_TEXT, ())


def test_text_rejects_null_characters() -> None:
    assert one("t", "a\x00b") == (None, (Message.CONTROL_CHARACTER.text("en"),))


def test_text_rejects_more_than_the_limit() -> None:
    value, errors = one("t", "x" * (MAX_TEXT + 1), "de")
    assert value is None
    assert errors == (Message.TEXT_TOO_LONG.text("de", limit=MAX_TEXT),)
    assert "10000" in errors[0]


@pytest.mark.parametrize("raw", [True, ["a"], {"a": 1}])
def test_text_rejects_other_types(raw: object) -> None:
    assert one("t", raw) == (None, (Message.TEXT.text("en"),))


@pytest.mark.parametrize(("raw", "text"), [(12, "12"), (1.5, "1.5"), (50200.0, "50200")])
def test_text_takes_numbers_as_their_text(raw: object, text: str) -> None:
    # Spreadsheets of responses collected elsewhere turn codes such as postcodes into numbers.
    assert one("t", raw) == (text, ())


def test_blank_text_is_unanswered() -> None:
    assert one("t", "   ") == (None, ())


# acknowledge


@pytest.mark.parametrize("raw", [True, "OK", "ok", "true", "1", 1])
def test_acknowledge(raw: object) -> None:
    assert one("ok", raw) == ("OK", ())


@pytest.mark.parametrize("raw", [False, "no", 0])
def test_acknowledge_anything_else_is_unanswered(raw: object) -> None:
    assert one("ok", raw) == (None, ())


# select_one


def test_select_one_must_be_a_listed_choice() -> None:
    assert one("one", "red") == ("red", ())
    assert one("one", " green ") == ("green", ())
    assert one("one", "purple") == (None, (Message.CHOICE.text("en"),))
    assert one("one", "Red") == (None, (Message.CHOICE.text("en"),))
    assert one("one", "red green") == (None, (Message.CHOICE.text("en"),))


@pytest.mark.parametrize("raw", [1, 1.5, True, ["red"], ("red", "blue"), {"red": 1}])
def test_select_one_rejects_non_text(raw: object) -> None:
    assert one("one", raw, "de") == (None, (Message.SINGLE_CHOICE.text("de"),))


# select_multiple


def test_select_multiple_as_list_or_space_separated_text() -> None:
    assert one("many", ["red", "blue"]) == (("red", "blue"), ())
    assert one("many", ("blue",)) == (("blue",), ())
    assert one("many", "red  blue") == (("red", "blue"), ())
    assert one("many", " green\tred ") == (("green", "red"), ())


def test_select_multiple_duplicates_collapse_in_order() -> None:
    assert one("many", ["blue", "red", "blue", " red "]) == (("blue", "red"), ())
    assert one("many", "red red red") == (("red",), ())


def test_select_multiple_every_pick_must_be_listed() -> None:
    assert one("many", ["red", "purple"]) == (None, (Message.CHOICE.text("en"),))
    assert one("many", ["red blue"]) == (None, (Message.CHOICE.text("en"),))


@pytest.mark.parametrize("raw", [["red", 1], [None], 5, True, {"red": True}])
def test_select_multiple_rejects_non_text(raw: object) -> None:
    assert one("many", raw) == (None, (Message.CHOICE.text("en"),))


def test_select_multiple_with_no_real_pick_is_unanswered() -> None:
    form = read_markdown_form(
        """
## survey

| type | name | label | required |
| --- | --- | --- | --- |
| select_multiple colour | many | Colours | yes |

## choices

| list_name | name | label |
| --- | --- | --- |
| colour | red | Red |
"""
    ).form
    for raw in ("   ", [" ", ""], [], ""):
        result = evaluate_form(form, {"many": raw})
        assert "many" not in result.answers
        assert result.errors == {"many": (Message.REQUIRED.text("en"),)}


def test_max_pick() -> None:
    assert one("two", ["red", "blue"]) == (("red", "blue"), ())
    # Duplicates count once.
    assert one("two", "red blue red") == (("red", "blue"), ())
    too_many = one("two", ["red", "blue", "green"], "de")
    assert too_many == (None, (Message.TOO_MANY_PICKS.text("de", count=2),))
    assert too_many[1] == ("Bitte höchstens 2 wählen.",)


# choice_filter


def names(result_choices: object) -> list[str]:
    return [choice.name for choice in result_choices]  # type: ignore[attr-defined]


def test_choice_filter_on_an_extra_column() -> None:
    malaysia = evaluate_form(FORM, {"country": "MY"})
    assert names(malaysia.choices["city"]) == ["kl", "penang"]
    assert names(malaysia.choices["cities"]) == ["kl", "penang", "elsewhere"]
    germany = evaluate_form(FORM, {"country": "DE"})
    assert names(germany.choices["city"]) == ["berlin"]
    # Unanswered: country = '' matches no city.
    assert names(evaluate_form(FORM, {}).choices["city"]) == []
    assert names(evaluate_form(FORM, {}).choices["cities"]) == ["elsewhere"]


def test_choices_lists_every_visible_select() -> None:
    result = evaluate_form(FORM, {})
    assert set(result.choices) == {"one", "many", "two", "country", "city", "cities"}
    assert names(result.choices["one"]) == ["red", "green", "blue"]
    assert result.choices["one"][1].labels["Deutsch (de)"] == "Grün"


def test_an_answer_outside_the_filtered_choices_is_an_error() -> None:
    good = evaluate_form(FORM, {"country": "DE", "city": "berlin", "cities": "berlin elsewhere"})
    assert good.valid
    assert good.answers["cities"] == ("berlin", "elsewhere")
    bad = evaluate_form(FORM, {"country": "MY", "city": "berlin", "cities": ["kl", "berlin"]})
    assert bad.errors == {
        "city": (Message.CHOICE.text("en"),),
        "cities": (Message.CHOICE.text("en"),),
    }
    assert "city" not in bad.answers
    assert "cities" not in bad.answers


def test_choice_filter_sees_an_invalid_answer_as_unanswered() -> None:
    result = evaluate_form(FORM, {"country": "FR"})
    assert result.errors == {"country": (Message.CHOICE.text("en"),)}
    assert names(result.choices["city"]) == []


# convert on its own


def test_convert_returns_nothing_for_empty_answers() -> None:
    question = FORM.question("n")
    for empty in (None, "", [], ()):
        assert convert(question, empty) == (None, None)


def test_convert_speaks_the_language_asked() -> None:
    assert convert(FORM.question("d"), "tomorrow", "Español (es)") == (
        None,
        Message.DATE.text("es"),
    )
    assert convert(FORM.question("x"), "1,5", "it") == (1.5, None)
