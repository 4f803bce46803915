"""What a matrix cell may hold: check_cell for every field type, the evidence rule, and the
bundled research data read through the same checks."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

import pytest

from policy_matrix.catalogue import (
    STATUSES,
    Dimension,
    Field,
    bundled_entries,
    bundled_jurisdictions,
    catalogue,
)
from policy_matrix.errors import EntryInvalid
from policy_matrix.values import Cell, Evidence, check_cell

TODAY = date(2026, 11, 28)
SOURCE = {
    "title": "MQA Guidelines to Good Practices: Micro-credentials",
    "url": "https://www.mqa.gov.my/ggp-mc",
}
EVIDENCE_FIELDS = (
    "title, url, instrument_id, issuer, date_adopted, date_accessed, excerpt, "
    "evidence_type, confidence"
)


def dimension(dimension_id: str) -> Dimension:
    return catalogue().dimension(dimension_id)


def cell(dimension_id: str, raw: Mapping[str, Any], today: date = TODAY) -> Cell:
    return check_cell(dimension(dimension_id), raw, today)


def value(dimension_id: str, fields: object) -> Any:
    """The checked value of an ``unknown`` cell holding ``fields``."""
    return cell(dimension_id, {"value": fields}).value


def errors(dimension_id: str, raw: Mapping[str, Any], today: date = TODAY) -> dict[str, list[str]]:
    """Every error check_cell reports for ``raw``, by place."""
    with pytest.raises(EntryInvalid) as caught:
        check_cell(dimension(dimension_id), raw, today)
    return caught.value.errors


def value_errors(dimension_id: str, fields: object) -> dict[str, list[str]]:
    return errors(dimension_id, {"value": fields})


# Enumerations


def test_an_enum_takes_one_of_its_choices() -> None:
    assert value("PM06", {"relation": "level_indicated"}) == {"relation": "level_indicated"}


@pytest.mark.parametrize("given", ["mostly", "Full", " full", 1, ["full"]])
def test_an_enum_refuses_anything_else_and_names_the_choices(given: object) -> None:
    assert value_errors("PM01", {"eu_alignment": given}) == {
        "value.eu_alignment": ["Use one of: full, partial, none."]
    }


PM02_TYPES = "law, decree, ministerial_order, agency_guideline, soft_law_position, none"


@pytest.mark.parametrize("given", [["law", "decree"], "law decree", "  law   decree "])
def test_a_multi_enum_takes_a_list_or_space_separated_choices(given: object) -> None:
    checked = value("PM02", {"instrument_types": given})
    assert checked == {"instrument_types": ("law", "decree")}


@pytest.mark.parametrize(
    "given",
    [
        ["law", "law"],  # each once
        "law law",
        ["law", "statute"],  # not a choice
        "statute",
        ["Law"],
        5,
        [["law"]],
        [{"law": True}],
        {"law": True},
    ],
)
def test_a_multi_enum_refuses_duplicates_and_unknown_choices(given: object) -> None:
    assert value_errors("PM02", {"instrument_types": given}) == {
        "value.instrument_types": [f"Give a list of choices from: {PM02_TYPES} (each once)."]
    }


def test_a_blank_multi_enum_is_not_stated_like_an_empty_one() -> None:
    assert value("PM02", {"instrument_types": "   "}) == value("PM02", {"instrument_types": ""})


# Text


TEXT_4000 = "Give text (at most 4000 characters, no control characters)."


def test_text_is_kept_stripped_with_its_line_breaks_and_tabs() -> None:
    text = "  Lifelong learning law,\n§ 3\tparagraph 2  "
    assert value("PM05", {"nqf_name": text}) == {"nqf_name": text.strip()}


def test_text_of_exactly_the_limit_is_kept() -> None:
    assert value("PM05", {"nqf_name": "x" * 4000}) == {"nqf_name": "x" * 4000}


@pytest.mark.parametrize(
    "given",
    ["x" * 4001, "bell\x07", "nul\x00byte", "escape\x1b[31m", "delete\x7f", 5, ["a list"]],
    ids=["too-long", "bell", "nul", "escape", "del", "number", "list"],
)
def test_text_refuses_long_text_control_characters_and_non_text(given: object) -> None:
    assert value_errors("PM05", {"nqf_name": given}) == {"value.nqf_name": [TEXT_4000]}


def test_notes_are_text_too() -> None:
    assert errors("PM05", {"notes": "see \x00"}) == {"notes": [TEXT_4000]}
    assert cell("PM05", {"notes": "  seen  "}).notes == "seen"


def test_blank_fields_are_not_stated() -> None:
    assert value("PM05", {"nqf_name": "   ", "levels": None}) is None
    assert value("PM02", {"instruments": [], "instrument_types": ""}) is None
    assert value("PM05", {}) is None
    assert value("PM05", None) is None


# Numbers


@pytest.mark.parametrize(("given", "stored"), [(8, 8), (0, 0), (2.0, 2), (-3, -3)])
def test_an_integer_takes_whole_numbers(given: float, stored: int) -> None:
    checked = value("PM05", {"levels": given})
    assert checked == {"levels": stored}
    assert type(checked["levels"]) is int


@pytest.mark.parametrize(
    "given", [True, False, 2.5, "8", math.nan, math.inf, -math.inf, [8]], ids=repr
)
def test_an_integer_refuses_booleans_fractions_and_text(given: object) -> None:
    assert value_errors("PM23", {"eqf_year": given}) == {"value.eqf_year": ["Give a whole number."]}


def test_integer_limits_are_checked_like_pm25_maturity() -> None:
    # PM25's maturity (0–4) is the catalogue's only field with limits, and it is computed;
    # the same field as an entered one shows how limits are checked.
    computed = dimension("PM25")
    maturity = dataclasses.replace(computed.fields["maturity"], computed=False)
    entered = dataclasses.replace(computed, fields=MappingProxyType({"maturity": maturity}))

    def check(given: object) -> Cell:
        return check_cell(entered, {"value": {"maturity": given}}, TODAY)

    assert check(0).value == {"maturity": 0}
    assert check(4.0).value == {"maturity": 4}
    with pytest.raises(EntryInvalid) as below:
        check(-1)
    assert below.value.errors == {"value.maturity": ["The smallest allowed value is 0."]}
    with pytest.raises(EntryInvalid) as above:
        check(5)
    assert above.value.errors == {"value.maturity": ["The largest allowed value is 4."]}


def test_number_limits_are_checked() -> None:
    share = Field(name="share", type="number", label="Share", minimum=0, maximum=100)
    made_up = dataclasses.replace(dimension("PM17"), fields=MappingProxyType({"share": share}))
    assert check_cell(made_up, {"value": {"share": 99.5}}, TODAY).value == {"share": 99.5}
    with pytest.raises(EntryInvalid) as caught:
        check_cell(made_up, {"value": {"share": 100.5}}, TODAY)
    assert caught.value.errors == {"value.share": ["The largest allowed value is 100."]}


@pytest.mark.parametrize(("dimension_id", "name"), [("PM05", "levels"), ("PM22", "amount")])
def test_a_huge_whole_number_gets_an_answer_not_a_crash(dimension_id: str, name: str) -> None:
    # json.loads("1" + "0" * 400) gives this int
    assert value_errors(dimension_id, {name: 10**400}) == {
        f"value.{name}": ["The number is too large."]
    }


@pytest.mark.parametrize(("given", "stored"), [(1.5, 1.5), (3, 3), (0, 0), (-0.25, -0.25)])
def test_a_number_takes_ints_and_floats(given: float, stored: float) -> None:
    assert value("PM22", {"amount": given}) == {"amount": stored}


@pytest.mark.parametrize("given", [math.nan, math.inf, -math.inf, "3", "3.5", True, [3]], ids=repr)
def test_a_number_refuses_nan_infinity_text_and_booleans(given: object) -> None:
    assert value_errors("PM17", {"max_pct": given}) == {"value.max_pct": ["Give a number."]}


# Booleans and addresses


@pytest.mark.parametrize("given", [True, False])
def test_a_boolean_is_kept_even_when_false(given: bool) -> None:
    assert value("PM19", {"allowed": given}) == {"allowed": given}


@pytest.mark.parametrize("given", ["true", "false", 1, 0, "yes"])
def test_a_boolean_refuses_text_and_numbers(given: object) -> None:
    assert value_errors("PM19", {"allowed": given}) == {"value.allowed": ["Give true or false."]}


@pytest.mark.parametrize(
    "given", ["https://www2.mqa.gov.my/mqr/", "http://example.org/register?q=1"]
)
def test_a_url_takes_web_addresses(given: str) -> None:
    assert value("PM21", {"url": given}) == {"url": given}


@pytest.mark.parametrize(
    "given",
    [
        "javascript:alert(1)",
        "JAVASCRIPT://example.org/%0Aalert(1)",
        "ftp://example.org/register",
        "https://",
        "http:///register",
        "www.mqa.gov.my",
        "data:text/html,<script>alert(1)</script>",
        "https://exa mple.org",
    ],
)
def test_a_url_refuses_other_schemes_and_addresses_without_a_host(given: str) -> None:
    assert value_errors("PM21", {"url": given}) == {
        "value.url": ["Give a web address starting with https:// or http://."]
    }


# Lists


def test_a_list_of_text_keeps_its_items_in_order_without_blanks() -> None:
    checked = value("PM02", {"instruments": [" GGP:MC (2020) ", "", "APEL.M (2023)"]})
    assert checked == {"instruments": ("GGP:MC (2020)", "APEL.M (2023)")}


def test_a_list_of_text_names_the_wrong_item() -> None:
    assert value_errors("PM02", {"instruments": ["GGP:MC", 5, "nul\x00"]}) == {
        "value.instruments[2]": [TEXT_4000],
        "value.instruments[3]": [TEXT_4000],
    }


@pytest.mark.parametrize("given", ["GGP:MC", 5, {"title": "GGP:MC"}])
def test_a_list_must_be_a_list(given: object) -> None:
    assert value_errors("PM02", {"instruments": given}) == {"value.instruments": ["Give a list."]}


def test_a_list_of_objects_checks_each_field() -> None:
    bodies = [
        {"name": "Malaysian Qualifications Agency", "role": "qa_agency"},
        {"name": "Ministry of Higher Education", "role": "ministry"},
    ]
    assert value("PM03", {"bodies": bodies}) == {"bodies": tuple(bodies)}


def test_a_list_of_objects_names_the_item_and_field_of_each_error() -> None:
    bodies = [
        {"name": "MQA", "x": 1},
        {"name": "MOHE", "role": "regulator"},
        "MQF Council",
    ]
    assert value_errors("PM03", {"bodies": bodies}) == {
        "value.bodies[1].x": ["bodies has no field “x”; its fields are name, role."],
        "value.bodies[2].role": [
            "Use one of: ministry, qa_agency, qf_authority, nic_enic, tvet_authority."
        ],
        "value.bodies[3]": ["Give the value as an object of fields: name, role."],
    }


# The value as a whole


def test_a_computed_field_is_refused_when_given() -> None:
    assert value_errors("PM10", {"m1": True, "coverage_pct": 50}) == {
        "value.coverage_pct": ["This is computed by the platform; leave it out."]
    }
    assert value("PM10", {"m1": True, "coverage_pct": None}) == {"m1": True}


def test_an_unknown_field_names_the_fields_of_the_dimension() -> None:
    assert value_errors("PM09", {"size": 5}) == {
        "value.size": ["PM09 has no field “size”; its fields are min, max, unit."]
    }


def test_the_fields_named_leave_out_computed_ones() -> None:
    (message,) = value_errors("PM10", {"m12": True})["value.m12"]
    assert message.startswith("PM10 has no field “m12”; its fields are m1, m2, m3,")
    assert message.endswith("o4, o5.")
    assert "coverage_pct" not in message


@pytest.mark.parametrize("given", [[1, 5], "1-5", 5, True])
def test_a_value_must_be_an_object(given: object) -> None:
    assert value_errors("PM09", given) == {
        "value": ["Give the value as an object of fields: min, max, unit."]
    }


def test_a_range_refuses_a_minimum_above_its_maximum() -> None:
    assert value_errors("PM09", {"min": 10, "max": 5, "unit": "ects"}) == {
        "value.max": ["The minimum (10) is larger than the maximum (5)."]
    }
    assert value("PM09", {"min": 5, "max": 5, "unit": "ects"}) == {
        "min": 5,
        "max": 5,
        "unit": "ects",
    }
    assert value("PM09", {"min": 10}) == {"min": 10}


# Status and dates


def test_the_status_is_one_of_the_scale() -> None:
    assert errors("PM01", {"status": "approved"}) == {
        "status": [
            "Use one of the statuses: none, under_discussion, draft, adopted, implemented, "
            "not_applicable, unknown."
        ]
    }


@pytest.mark.parametrize("raw", [{}, {"status": None}, {"status": ""}])
def test_a_missing_status_is_unknown(raw: dict[str, Any]) -> None:
    assert cell("PM01", raw) == Cell(status="unknown")


@pytest.mark.parametrize(
    "given", ["28/11/2026", "2026-02-30", "20261128", "2026-W48-6", "2026-11", 20261128]
)
def test_as_of_is_a_real_date_written_yyyy_mm_dd(given: object) -> None:
    assert errors("PM01", {"as_of": given}) == {
        "as_of": ["Give a date as YYYY-MM-DD, e.g. 2026-11-28."]
    }


def test_as_of_is_not_in_the_future() -> None:
    assert errors("PM01", {"as_of": "2026-11-29"}, today=date(2026, 11, 28)) == {
        "as_of": ["The date 2026-11-29 is in the future."]
    }
    assert cell("PM01", {"as_of": "2026-11-28"}, today=date(2026, 11, 28)).as_of == "2026-11-28"
    assert cell("PM01", {"as_of": " 2020-08-10 "}).as_of == "2020-08-10"
    assert cell("PM01", {"as_of": date(2020, 8, 10)}).as_of == "2020-08-10"


def test_a_datetime_from_a_workbook_is_its_day() -> None:
    # openpyxl gives a date cell as a datetime at midnight
    assert cell("PM01", {"as_of": datetime(2020, 8, 10)}).as_of == "2020-08-10"  # noqa: DTZ001
    assert errors("PM01", {"as_of": datetime(2026, 12, 1)}) == {  # noqa: DTZ001
        "as_of": ["The date 2026-12-01 is in the future."]
    }


# Evidence


def test_evidence_is_kept_with_its_defaults() -> None:
    checked = cell("PM01", {"status": "adopted", "evidence": [SOURCE]})
    assert checked.evidence == (
        Evidence(
            title=SOURCE["title"],
            url=SOURCE["url"],
            evidence_type="secondary",
            confidence="medium",
        ),
    )


@pytest.mark.parametrize("given", ["https://www.mqa.gov.my/ggp-mc", SOURCE, 5])
def test_evidence_is_a_list(given: object) -> None:
    assert errors("PM01", {"evidence": given}) == {
        "evidence": ["Give the evidence as a list of sources."]
    }


def test_each_source_is_an_object() -> None:
    assert errors("PM01", {"evidence": [SOURCE, "https://www.mqa.gov.my"]}) == {
        "evidence[2]": ["Give the evidence as a list of sources."]
    }


def source_errors(**changes: object) -> dict[str, list[str]]:
    """The errors of an ``unknown`` cell whose one source is SOURCE with ``changes``."""
    item = {**SOURCE, **changes}
    return errors("PM01", {"evidence": [{k: v for k, v in item.items() if v is not None}]})


@pytest.mark.parametrize("title", [None, "", "   "])
def test_each_source_needs_a_title(title: str | None) -> None:
    assert source_errors(title=title) == {"evidence[1].title": ["Each source needs a title."]}


def test_a_title_is_at_most_300_characters() -> None:
    assert source_errors(title="t" * 301) == {
        "evidence[1].title": ["Give text (at most 300 characters, no control characters)."]
    }


def test_a_source_url_is_a_web_address() -> None:
    assert source_errors(url="www.mqa.gov.my") == {
        "evidence[1].url": ["Give a web address starting with https:// or http://."]
    }


def test_an_excerpt_is_at_most_300_characters() -> None:
    assert source_errors(excerpt="e" * 301) == {
        "evidence[1].excerpt": ["Keep the excerpt to 300 characters; quote the key sentence only."]
    }
    kept = cell("PM01", {"evidence": [{**SOURCE, "excerpt": "e" * 300}]})
    assert kept.evidence[0].excerpt == "e" * 300


def test_evidence_type_and_confidence_are_from_their_lists() -> None:
    assert source_errors(evidence_type="blog", confidence="certain") == {
        "evidence[1].evidence_type": [
            "Use one of the evidence types: legal_text, agency_guideline, official_web, "
            "secondary, expert_judgement."
        ],
        "evidence[1].confidence": ["Use one of: high, medium, low."],
    }


def test_a_source_has_only_the_known_fields() -> None:
    assert source_errors(page=12) == {
        "evidence[1].page": [f"evidence has no field “page”; its fields are {EVIDENCE_FIELDS}."]
    }


def test_source_dates_are_real_past_dates() -> None:
    assert source_errors(date_adopted="10 Aug 2020", date_accessed="2026-12-01") == {
        "evidence[1].date_adopted": ["Give a date as YYYY-MM-DD, e.g. 2026-11-28."],
        "evidence[1].date_accessed": ["The date 2026-12-01 is in the future."],
    }


NEEDS_EVIDENCE = [
    "A cell whose status is not “unknown” needs at least one source with a URL "
    "(a law, a guideline, an agency page or a secondary source)."
]


@pytest.mark.parametrize("status", [s for s in STATUSES if s != "unknown"])
def test_a_known_status_needs_a_source_with_a_url(status: str) -> None:
    assert errors("PM01", {"status": status}) == {"evidence": NEEDS_EVIDENCE}
    assert errors("PM01", {"status": status, "evidence": []}) == {"evidence": NEEDS_EVIDENCE}
    no_url = {"title": "Interview with the MQA, 2026", "evidence_type": "expert_judgement"}
    assert errors("PM01", {"status": status, "evidence": [no_url]}) == {"evidence": NEEDS_EVIDENCE}
    checked = cell("PM01", {"status": status, "evidence": [no_url, SOURCE]})
    assert checked.status == status
    assert len(checked.evidence) == 2


def test_unknown_needs_no_source() -> None:
    assert cell("PM01", {"status": "unknown", "evidence": []}) == Cell()


def test_evidence_given_in_the_wrong_shape_is_reported_once() -> None:
    assert errors("PM01", {"status": "adopted", "evidence": "https://www.mqa.gov.my"}) == {
        "evidence": ["Give the evidence as a list of sources."]
    }


def test_every_error_is_reported_at_once() -> None:
    found = errors(
        "PM09",
        {
            "status": "approved",
            "as_of": "2026-02-30",
            "notes": "nul\x00",
            "value": {"min": 10, "max": 5, "unit": "semesters", "size": 1},
            "evidence": [{**SOURCE, "url": "ftp://mqa.gov.my"}, {"url": SOURCE["url"]}],
        },
    )
    assert sorted(found) == [
        "as_of",
        "evidence[1].url",
        "evidence[2].title",
        "notes",
        "status",
        "value.max",
        "value.size",
        "value.unit",
    ]


# The Cell


def rich_cell() -> Cell:
    return cell(
        "PM03",
        {
            "status": "implemented",
            "value": {
                "bodies": [
                    {"name": "Malaysian Qualifications Agency", "role": "qa_agency"},
                    {"name": "Ministry of Higher Education", "role": "ministry"},
                ]
            },
            "as_of": "2026-11-01",
            "notes": "MQA verifies stand-alone micro-credentials.",
            "evidence": [
                {
                    **SOURCE,
                    "instrument_id": "MQA Notification Letter 8/2020",
                    "issuer": "MQA",
                    "date_adopted": "2020-08-10",
                    "date_accessed": "2026-11-01",
                    "excerpt": "Guidelines to Good Practices: Micro-credentials.",
                    "evidence_type": "agency_guideline",
                    "confidence": "high",
                },
                {"title": "Interview, 2026", "evidence_type": "expert_judgement"},
            ],
        },
    )


def test_a_snapshot_is_plain_json_and_comes_back_as_the_same_cell() -> None:
    original = rich_cell()
    snapshot = original.snapshot()
    stored = json.loads(json.dumps(snapshot))
    assert stored == snapshot
    assert snapshot["value"]["bodies"][0] == {
        "name": "Malaysian Qualifications Agency",
        "role": "qa_agency",
    }
    assert snapshot["evidence"][1]["url"] == ""
    assert Cell.from_snapshot(stored) == original
    assert Cell.from_snapshot(stored).snapshot() == snapshot


def test_an_empty_cell_round_trips() -> None:
    assert Cell().snapshot() == {
        "status": "unknown",
        "value": None,
        "as_of": None,
        "notes": "",
        "evidence": [],
    }
    assert Cell.from_snapshot(Cell().snapshot()) == Cell()
    assert Cell.from_snapshot(None) == Cell()


def test_a_multi_enum_round_trips() -> None:
    original = cell("PM02", {"value": {"instrument_types": "law decree"}})
    assert original.snapshot()["value"] == {"instrument_types": ["law", "decree"]}
    assert Cell.from_snapshot(json.loads(json.dumps(original.snapshot()))) == original


def test_a_cell_cannot_be_changed_in_place() -> None:
    checked = rich_cell()
    with pytest.raises(dataclasses.FrozenInstanceError):
        checked.status = "none"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        checked.evidence[0].url = "https://elsewhere.example"  # type: ignore[misc]
    assert checked.value is not None
    with pytest.raises(TypeError):
        checked.value["bodies"] = ()  # type: ignore[index]
    with pytest.raises(TypeError):
        checked.value["bodies"][0]["role"] = "ministry"
    assert isinstance(checked.value["bodies"], tuple)
    assert isinstance(checked.evidence, tuple)


def test_the_rank_follows_the_scale() -> None:
    assert [Cell(status=s).rank for s in STATUSES] == [0, 1, 2, 3, 4, None, None]


# The bundled research data


def bundled() -> list[tuple[str, dict[str, Any]]]:
    return [(j.code, entry) for j in bundled_jurisdictions() for entry in bundled_entries(j.code)]


def test_there_are_six_countries_and_two_reference_rows() -> None:
    kinds = [(j.code, j.kind) for j in bundled_jurisdictions()]
    assert kinds == [
        ("MY", "country"),
        ("ID", "country"),
        ("PH", "country"),
        ("DE", "country"),
        ("IT", "country"),
        ("ES", "country"),
        ("EU", "reference"),
        ("ASEAN", "reference"),
    ]


@pytest.mark.parametrize("today", [TODAY, date(2027, 6, 1)])
def test_every_bundled_entry_passes_the_checks(today: date) -> None:
    refused = {}
    for code, entry in bundled():
        try:
            check_cell(dimension(entry["dimension"]), entry, today)
        except EntryInvalid as caught:
            refused[f"{code}/{entry['dimension']}"] = caught.errors
    assert refused == {}


def test_every_known_bundled_entry_has_a_source_with_a_url() -> None:
    unsourced = [
        f"{code}/{entry['dimension']}"
        for code, entry in bundled()
        if entry["status"] != "unknown"
        and not any(
            str(source.get("url") or "").startswith(("https://", "http://"))
            for source in entry.get("evidence") or ()
        )
    ]
    assert unsourced == []
    assert any(entry["status"] != "unknown" for _, entry in bundled())


def test_bundled_entries_name_only_catalogue_dimensions_once_each() -> None:
    known = set(catalogue().ids())
    for jurisdiction in bundled_jurisdictions():
        named = [entry["dimension"] for entry in bundled_entries(jurisdiction.code)]
        assert set(named) <= known, f"{jurisdiction.code}: {sorted(set(named) - known)}"
        assert len(named) == len(set(named)), f"{jurisdiction.code} repeats a dimension"


@pytest.mark.parametrize("code", [j.code for j in bundled_jurisdictions()])
def test_each_bundled_jurisdiction_has_every_entered_dimension(code: str) -> None:
    entered = {d.id for d in catalogue().dimensions if not d.computed}
    named = {entry["dimension"] for entry in bundled_entries(code)}
    assert sorted(entered - named) == [], f"{code} has no entry for these dimensions"


def test_only_pm25_is_computed_and_its_bundled_entries_are_unknown() -> None:
    assert [d.id for d in catalogue().dimensions if d.computed] == ["PM25"]
    for code, entry in bundled():
        if entry["dimension"] == "PM25":
            assert entry["status"] == "unknown", code
            assert entry["value"] is None, code
