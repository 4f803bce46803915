"""Synthetic responses: deterministic, valid for the engine, calibrated, loadable once."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlmodel import func, select

from analysis.synthetic import COUNTRIES, OFFERING, SyntheticResponse, generate, load_synthetic
from analysis.synthetic_text import MARK
from microcasa.db import Database
from survey.demo import BUNDLED_FORM
from survey.engine import evaluate_form
from survey.models import Response
from survey.versions import read_source
from survey.xlsform import read_markdown_form
from survey.xlsform.model import Form, language_code

# The demo priors (per cent offering micro-credentials) from the domain notes, section 6.
OFFER_BANDS = {
    "ES": (60, 70), "MY": (55, 65), "IT": (40, 50), "DE": (40, 50), "PH": (35, 45), "ID": (35, 45),
}  # fmt: skip
OFFER_ONLY = ("c2", "c3", "c4", "c5", "c6", "d1", "d2", "d3", "d5", "d7", "e1", "e3", "f1", "h1")


@pytest.fixture(scope="module")
def form() -> Form:
    return read_source(BUNDLED_FORM.read_bytes(), BUNDLED_FORM.name).form


@pytest.fixture(scope="module")
def many(form: Form) -> tuple[SyntheticResponse, ...]:
    return generate(form, 3000)


def _offers(response: SyntheticResponse) -> bool:
    return response.answers.get("c1") in OFFERING


def _by_country(
    responses: tuple[SyntheticResponse, ...],
) -> dict[str, list[SyntheticResponse]]:
    grouped: dict[str, list[SyntheticResponse]] = defaultdict(list)
    for response in responses:
        grouped[response.country].append(response)
    return grouped


def test_the_same_seed_gives_the_same_responses(form: Form) -> None:
    first = generate(form, 50, seed=7)
    assert generate(form, 50, seed=7) == first
    assert generate(form, 20, seed=7) == first[:20]  # a response does not depend on n
    other = generate(form, 50, seed=8)
    assert [r.answers for r in other] != [r.answers for r in first]
    assert {r.instance_id for r in other}.isdisjoint(r.instance_id for r in first)


def test_every_response_passes_the_engine(form: Form) -> None:
    responses = generate(form, 300)
    languages = {language_code(language): language for language in form.languages}
    for response in responses:
        evaluation = evaluate_form(form, response.answers, languages[response.language])
        assert dict(evaluation.errors) == {}
        assert dict(evaluation.answers) == response.answers  # nothing hidden, nothing changed
        assert response.answers["a1"] == response.country
    assert {r.country for r in responses} == set(COUNTRIES)
    assert {r.language for r in responses} == {"ms", "id", "fil", "de", "it", "es", "en"}


def test_non_offerers_skip_the_offer_questions(many: tuple[SyntheticResponse, ...]) -> None:
    offerers = [r for r in many if _offers(r)]
    others = [r for r in many if not _offers(r)]
    assert offerers and others
    assert all(not set(OFFER_ONLY) & set(r.answers) for r in others)
    assert sum("c2" in r.answers for r in offerers) > 0.9 * len(offerers)


def test_offer_rate_and_familiarity_follow_the_priors(
    many: tuple[SyntheticResponse, ...],
) -> None:
    for country, responses in _by_country(many).items():
        low, high = OFFER_BANDS[country]
        offer = 100 * sum(map(_offers, responses)) / len(responses)
        familiar = 100 * sum(r.answers.get("b1") in ("4", "5") for r in responses) / len(responses)
        assert low - 5 <= offer <= high + 5, country
        assert 5 <= familiar - offer <= 25, country


def test_offerers_are_more_familiar_and_more_often_have_a_policy(
    many: tuple[SyntheticResponse, ...],
) -> None:
    def share(responses: list[SyntheticResponse], name: str, values: tuple[str, ...]) -> float:
        return sum(r.answers.get(name) in values for r in responses) / len(responses)

    offerers = [r for r in many if _offers(r)]
    others = [r for r in many if not _offers(r)]
    assert share(offerers, "b1", ("4", "5")) > share(others, "b1", ("4", "5")) + 0.2
    assert share(offerers, "c7", ("approved",)) > share(others, "c7", ("approved",)) + 0.2
    assert 0.28 <= share(list(many), "c7", ("approved",)) <= 0.42  # prior: about 35 %
    assert 0.01 <= share(list(many), "e4", ("dk",)) + share(list(many), "i3", ("dk",)) <= 0.15


def test_free_text_is_marked_synthetic(many: tuple[SyntheticResponse, ...]) -> None:
    texts = [
        value
        for response in many
        for name, value in response.answers.items()
        if name in ("a3_other", "a5_other", "b4_other", "i4")
    ]
    assert len(texts) > 100
    assert all(isinstance(text, str) and text.startswith(MARK) for text in texts)


def test_load_synthetic_stores_once(database: Database) -> None:
    with database.transaction() as session:
        assert load_synthetic(session, 30, seed=3) == 30
    with database.transaction() as session:
        assert load_synthetic(session, 30, seed=3) == 0
        assert load_synthetic(session, 40, seed=3) == 10  # only the new ones
    with database.session() as session:
        rows = session.exec(select(Response)).all()
        assert session.exec(select(func.count()).select_from(Response)).one() == 40
    assert {(r.channel, r.status, r.submitted_by_id) for r in rows} == {("api", "complete", None)}
    assert {r.country for r in rows} == set(COUNTRIES)


def test_questions_without_a_sampler_get_any_valid_answer() -> None:
    form = read_markdown_form(
        """
## survey

| type | name | label | required | relevant |
| --- | --- | --- | --- | --- |
| select_one country | a1 | Country | yes | |
| select_one size | size | Size | yes | |
| text | why | Why? | yes | ${size} = 'big' |
| integer | staff | Staff | yes | |
| select_multiple size | sizes | Sizes | | |

## choices

| list_name | name | label |
| --- | --- | --- |
| country | MY | Malaysia |
| country | other | Other |
| size | big | Big |
| size | small | Small |
"""
    ).form
    responses = generate(form, 40, countries=("MY", "FR"))
    for response in responses:
        assert dict(evaluate_form(form, response.answers).errors) == {}
        assert {"a1", "size", "staff"} <= set(response.answers)
    assert {r.answers["a1"] for r in responses} == {"MY", "other"}
    assert any(str(r.answers.get("why", "")).startswith(MARK) for r in responses)
