"""Synthetic responses to the bundled HEI questionnaire, for demos and tests.

Calibrated to the demo priors of the domain notes (share offering
micro-credentials per country, familiarity above the offer rate, about a third
with an institutional policy, barriers in the Coursera 2024 proportions). These
are assumptions, not measurements: everything made here is labelled
:data:`LABEL`, and every free-text answer starts with ``[synthetic]``.
Who wrote an I4 comment lets the study quote it (I5) at :data:`QUOTE_CONSENT`.

Each institution first draws whether it offers micro-credentials; the other
answers follow from that, from its country and from a latent engagement, so
answers correlate as they would in a survey. The engine judges every answer
set: answers to hidden questions are dropped, and an answer it refuses is drawn
again, so every response is one a respondent could have submitted.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col

from analysis.synthetic_institution import SAMPLERS, SyntheticInstitution
from analysis.synthetic_priors import QUOTE_CONSENT
from analysis.synthetic_text import COMMENTS, synthetic
from survey.demo import publish_bundled_form
from survey.engine import Answer, Evaluation, evaluate_form
from survey.models import Questionnaire, Response
from survey.responses import open_version
from survey.submissions import submit_api
from survey.versions import form_of
from survey.xlsform.model import Form, Question, language_code

LABEL = "SYNTHETIC DEMO DATA — not real responses"
DEFAULT_SEED = 20261128
COUNTRIES = ("MY", "ID", "PH", "DE", "IT", "ES")
OFFERING = ("emerging", "established", "mature")  # c1 stages that show the offer questions
MAX_REPAIRS = 5
GOLDEN, SQRT2 = 0.6180339887498949, 0.4142135623730951  # fractional parts, for the strata


@dataclass(frozen=True)
class SyntheticResponse:
    """One made-up institution's complete answers (see :data:`LABEL`)."""

    country: str
    language: str  # language code as the form labels it (ms, id, fil, de, it, es or en)
    answers: dict[str, Answer]  # cleaned by the engine: visible questions only, typed
    instance_id: str

    def body(self) -> dict[str, object]:
        """The submission as the JSON API takes it."""
        answers = {k: list(v) if isinstance(v, tuple) else v for k, v in self.answers.items()}
        return {
            "instance_id": self.instance_id,
            "language": self.language,
            "country": self.country,
            "answers": answers,
        }


ALWAYS = frozenset({"a1", "b1", "c1"})  # never left blank: the analysis hinges on them
SKIPPED = 0.02  # share of optional questions left blank


def generate(
    form: Form, n: int, *, seed: int = DEFAULT_SEED, countries: tuple[str, ...] = COUNTRIES
) -> tuple[SyntheticResponse, ...]:
    """``n`` synthetic responses, the same for the same seed; countries in turn."""
    offsets = random.Random(f"microcasa-synthetic:{seed}")  # noqa: S311 (not secrets)
    starts = {country: (offsets.random(), offsets.random()) for country in countries}
    return tuple(_response(form, seed, index, countries, starts) for index in range(n))


def _response(
    form: Form,
    seed: int,
    index: int,
    countries: tuple[str, ...],
    starts: Mapping[str, tuple[float, float]],
) -> SyntheticResponse:
    # One generator per response: response i is the same whatever n is.
    rng = random.Random(f"microcasa-synthetic:{seed}:{index}")  # noqa: S311 (not secrets)
    instance_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    country = countries[index % len(countries)]
    # Offering and familiarity come from a low-discrepancy (Kronecker) sequence over each
    # country's responses, so even 100 of them hit the priors within a point or two.
    k = index // len(countries)
    start = starts[country]
    strata = ((start[0] + k * GOLDEN) % 1.0, (start[1] + k * SQRT2) % 1.0)
    institution = SyntheticInstitution(rng, country, strata)
    code = institution.prior.language if rng.random() >= institution.prior.english else "en"
    language = next((lang for lang in form.languages if language_code(lang) == code), None)
    if language is None:
        language = form.default_language
        code = language_code(language)
    for question in form.questions:
        if not question.is_answerable:
            continue
        sampler = SAMPLERS.get(question.name)
        if sampler is None or (
            question.name not in ALWAYS and not question.required and rng.random() < SKIPPED
        ):
            continue
        value = sampler(institution, question, form)
        if value is not None:
            institution.answers[question.name] = value
    if "i4" in institution.answers and any(q.name == "i5" for q in form.questions):
        # A generator of its own, so forms without I5 keep every other answer as before.
        consent = random.Random(f"microcasa-synthetic:{seed}:{index}:i5")  # noqa: S311
        institution.answers["i5"] = "yes" if consent.random() < QUOTE_CONSENT else "no"
    evaluation = _repair(form, institution, language)
    return SyntheticResponse(country, code, dict(evaluation.answers), instance_id)


def _repair(form: Form, institution: SyntheticInstitution, language: str) -> Evaluation:
    """Judge the answers; draw again what the engine refuses, or leave it blank."""
    evaluation = evaluate_form(form, institution.answers, language)
    for _ in range(MAX_REPAIRS):
        if not evaluation.errors:
            return evaluation
        answers = dict(evaluation.answers)
        for name in evaluation.errors:
            value = _fallback(institution.rng, form.question(name), evaluation)
            if value is None:
                answers.pop(name, None)
            else:
                answers[name] = value
        institution.answers = answers
        evaluation = evaluate_form(form, answers, language)
    if evaluation.errors:
        raise RuntimeError(f"synthetic answers still refused: {dict(evaluation.errors)}")
    return evaluation


def _fallback(rng: random.Random, question: Question, evaluation: Evaluation) -> Answer | None:
    """Any acceptable answer to a question the samplers do not know, or got wrong."""
    if question.is_select:
        choices = evaluation.choices.get(question.name, ())
        if not choices:
            return None
        pick = rng.choice(choices).name
        return (pick,) if question.type == "select_multiple" else pick
    if not question.required:
        return None
    if question.type in ("integer", "decimal"):
        return 0
    return synthetic(rng, COMMENTS)


def load_synthetic(session: Session, n: int, seed: int = DEFAULT_SEED) -> int:
    """Store ``n`` synthetic complete responses to the bundled questionnaire; how many are new.

    Through the API path (channel "api", no staff account). Each response's
    instance id comes from the seed, so loading again stores nothing twice.
    """
    version = publish_bundled_form(session)
    questionnaire = session.get(Questionnaire, version.questionnaire_id)
    assert questionnaire is not None
    form = form_of(open_version(session, questionnaire) or version)
    created = 0
    instance_ids = []
    for response in generate(form, n, seed=seed):
        body = response.body()
        stored = submit_api(
            session,
            questionnaire,
            body,
            invitation=None,
            country_scope=None,
            submitted_by_id=None,
        )
        created += stored.created
        instance_ids.append(body["instance_id"])
    for start in range(0, len(instance_ids), 500):
        session.execute(
            update(Response)
            .where(col(Response.instance_id).in_(instance_ids[start : start + 500]))
            .values(synthetic=True)
        )
    return created
