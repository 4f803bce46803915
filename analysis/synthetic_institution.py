"""A made-up institution: latent traits, and its answer to each question of the form.

Each institution first draws whether it offers micro-credentials; :data:`SAMPLERS`
then answers every question from that, from its country's priors
(:mod:`analysis.synthetic_priors`) and from a latent engagement.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping

from analysis.synthetic_priors import (
    BARRIERS,
    DEFINITIONS,
    FAMILIAR_OFFERERS,
    FAMILIARITY_GAP,
    MEASURES,
    OTHER,
    PRIORS,
    TYPES,
)
from analysis.synthetic_text import COMMENTS, PROFILES, ROLES, TERMS, synthetic
from survey.engine import Answer
from survey.xlsform.model import Form, Question


class SyntheticInstitution:
    """The latent traits of one made-up institution, and its answer to each question."""

    def __init__(self, rng: random.Random, country: str, strata: tuple[float, float]) -> None:
        self.rng = rng
        self.country = country
        self.prior = PRIORS.get(country, OTHER)
        self.strata = strata
        self.offers = strata[0] < self.prior.offer
        self.stage = (
            _pick(rng, {"emerging": 0.55, "established": 0.32, "mature": 0.13})
            if self.offers
            else _pick(rng, {"none": 0.35, "exploring": 0.65})
        )
        # Engagement with the topic: higher where micro-credentials are offered.
        self.engagement = rng.gauss(0.6 if self.offers else -0.4, 0.8)
        self.answers: dict[str, Answer] = {}

    def likert(self, mean: float, dk: float = 0.04) -> str:
        if self.rng.random() < dk:
            return "dk"
        value = mean + 0.4 * self.engagement + self.rng.gauss(0, 0.8)
        return str(min(5, max(1, round(value))))

    def top_box(self, share: float, dk: float = 0.04) -> str:
        """A 1-5 rating that is 4 or 5 with probability ``share``."""
        if self.rng.random() < dk:
            return "dk"
        if self.rng.random() < share:
            return _pick(self.rng, {"4": 0.6, "5": 0.4})
        return _pick(self.rng, {"1": 0.15, "2": 0.35, "3": 0.5})

    def picks(
        self, weights: Mapping[str, float], exclusive: str | None = None, most: int = 0
    ) -> tuple[str, ...] | None:
        """Each option with its probability; ``exclusive`` alone when drawn."""
        if exclusive is not None and self.rng.random() < weights[exclusive]:
            return (exclusive,)
        chosen = tuple(
            name for name, p in weights.items() if name != exclusive and self.rng.random() < p
        )
        if most and len(chosen) > most:
            chosen = tuple(sorted(self.rng.sample(chosen, most), key=list(weights).index))
        return chosen or None

    def familiarity(self) -> str:
        """B1: top-2-box FAMILIARITY_GAP above the country's offer rate, mostly among offerers."""
        target = min(0.98, self.prior.offer + FAMILIARITY_GAP)
        among_others = (target - FAMILIAR_OFFERERS * self.prior.offer) / (1 - self.prior.offer)
        if self.strata[1] < (FAMILIAR_OFFERERS if self.offers else among_others):
            return _pick(self.rng, {"4": 0.6, "5": 0.4})
        return _pick(self.rng, {"1": 0.15, "2": 0.35, "3": 0.5})

    def policy(self) -> str:
        """C7: about a third approved overall, mostly where micro-credentials are offered."""
        approved = {"mature": 0.80, "established": 0.60, "emerging": 0.45}.get(self.stage, 0.15)
        if self.rng.random() < approved:
            return "approved"
        if self.offers:
            return _pick(self.rng, {"draft": 0.55, "none": 0.35, "dk": 0.10})
        return _pick(self.rng, {"draft": 0.25, "none": 0.63, "dk": 0.12})

    def plans(self) -> str:
        if self.offers:
            return _pick(self.rng, {"expand": 0.6, "maintain": 0.34, "reduce": 0.05, "none": 0.01})
        if self.stage == "exploring":
            return _pick(self.rng, {"start": 0.85, "none": 0.15})
        return _pick(self.rng, {"start": 0.35, "none": 0.65})

    def count_offered(self) -> int:
        median = {"emerging": 3, "established": 12, "mature": 40}.get(self.stage, 1)
        return max(1, round(self.rng.lognormvariate(0, 0.7) * median))

    def learners(self) -> int:
        offered = self.answers.get("c2")
        per_course = self.rng.lognormvariate(0, 0.6) * 30
        return round((offered if isinstance(offered, int) else 3) * per_course)

    def unit(self, question: Question, form: Form) -> tuple[str, ...] | None:
        own = tuple(
            c.name
            for c in form.choices_for(question).choices
            if c.extra.get("country") == (self.country if self.country in PRIORS else "other")
        )
        weights = {name: 0.75 / len(own) for name in own} | {"hours": 0.3, "none": 0.05}
        return self.picks(weights, exclusive="none")

    def share_of_degree(self) -> float:
        if self.rng.random() < 0.2:
            return 0.0
        return self.rng.choice(self.prior.shares)

    def comment(self) -> str | None:
        if self.rng.random() < (0.35 if self.offers else 0.2):
            return synthetic(self.rng, COMMENTS)
        return None

    def other_text(self, question: str, snippets: tuple[str, ...]) -> str | None:
        """The "please specify" text, when ``question`` was answered "other"."""
        answer = self.answers.get(question)
        chose = answer == "other" or (isinstance(answer, tuple) and "other" in answer)
        return synthetic(self.rng, snippets) if chose else None


def _pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


Sampler = Callable[[SyntheticInstitution, Question, Form], Answer | None]


def _likert(mean: float, eu_shift: float = 0.0) -> Sampler:
    return lambda i, q, f: i.likert(mean + (eu_shift if i.prior.eu else 0.0))


def _top_box(share: float) -> Sampler:
    return lambda i, q, f: i.top_box(share)


# fmt: off
SAMPLERS: Mapping[str, Sampler] = {
    "a1": lambda i, q, f: i.country if i.country in PRIORS else "other",
    "a1_other": lambda i, q, f: i.country if i.country not in PRIORS else None,
    "a2": lambda i, q, f: i.rng.choices(TYPES, i.prior.types)[0],
    "a3": lambda i, q, f: _pick(i.rng, {
        "comprehensive": 0.45, "technical": 0.30, "teacher_ed": 0.08, "open_distance": 0.07,
        "other": 0.10,
    }),
    "a3_other": lambda i, q, f: i.other_text("a3", PROFILES),
    "a4": lambda i, q, f: _pick(i.rng, {
        "under_5k": 0.25 if i.offers else 0.45, "5k_15k": 0.30, "15k_30k": 0.25,
        "over_30k": 0.20 if i.offers else 0.08,
    }),
    "a5": lambda i, q, f: _pick(i.rng, {
        "rector_vp": 0.25, "dean": 0.15, "qa_officer": 0.20, "lll_head": 0.20,
        "registrar": 0.05, "faculty": 0.10, "other": 0.05,
    }),
    "a5_other": lambda i, q, f: i.other_text("a5", ROLES),
    "a6": lambda i, q, f: _pick(i.rng, {"highest": 0.3, "accredited": 0.55, "in_process": 0.1,
                                        "na": 0.05}),
    "b1": lambda i, q, f: i.familiarity(),
    "b2_eu": _likert(2.4, eu_shift=0.9),
    "b2_microbol": _likert(1.8, eu_shift=0.6),
    "b2_unesco": _likert(2.4),
    "b2_national": lambda i, q, f: i.likert(i.prior.national_guideline - 0.3),
    "b2_aqrf": _likert(2.6, eu_shift=-1.2),
    "b3": lambda i, q, f: i.rng.choices(DEFINITIONS, i.prior.definition)[0],
    "b4": lambda i, q, f: i.picks({
        "micro_credential": 0.85 if i.offers else 0.40, "short_course": 0.60, "certificate": 0.65,
        "digital_badge": 0.25, "nano_degree": 0.05, "micro_master": 0.10, "other": 0.05,
    }),
    "b4_other": lambda i, q, f: i.other_text("b4", TERMS),
    "c1": lambda i, q, f: i.stage,
    "c2": lambda i, q, f: i.count_offered(),
    "c3": lambda i, q, f: i.learners(),
    "c4": lambda i, q, f: i.picks({"online": 0.7, "onsite": 0.35, "blended": 0.45}) or ("online",),
    "c5": lambda i, q, f: i.picks({
        "own_students": 0.60, "alumni": 0.35, "employees": 0.65, "unemployed": 0.15,
        "other_hei_students": 0.20, "international": 0.20,
    }) or ("employees",),
    "c6": lambda i, q, f: i.picks({
        "none": 0.30, "other_heis": 0.30, "industry": 0.55, "prof_bodies": 0.30,
        "mooc_platform": 0.30, "government": 0.20,
    }, exclusive="none"),
    "c7": lambda i, q, f: i.policy(),
    "c8": lambda i, q, f: i.plans(),
    "d1": lambda i, q, f: _pick(i.rng, {
        "always": 0.35 + 0.15 * (i.stage == "mature"), "mostly": 0.35, "sometimes": 0.22,
        "never": 0.08,
    }),
    "d2": lambda i, q, f: i.unit(q, f),
    "d3": lambda i, q, f: _pick(i.rng, {"under_1": 0.3, "1_5": 0.5, "6_10": 0.12, "11_15": 0.05,
                                        "over_15": 0.03}),
    "d4": lambda i, q, f: _pick(i.rng, {"always": 0.4 if i.prior.eu else 0.25, "sometimes": 0.4,
                                        "never": 0.3}),
    "d5": lambda i, q, f: i.picks({
        "attendance_only": 0.05, "exam": 0.60, "project": 0.50, "portfolio": 0.25,
        "practical": 0.35,
    }, exclusive="attendance_only") or ("exam",),
    "d6": lambda i, q, f: _pick(i.rng, {"unsupervised": 0.35, "supervised_no_id": 0.3,
                                        "supervised_id": 0.35}),
    "d7": lambda i, q, f: i.picks({
        "learner_id": 0.90, "title": 0.95, "issuer_country": 0.45, "awarding_body": 0.85,
        "issue_date": 0.90, "learning_outcomes": 0.60 if i.prior.eu else 0.45,
        "workload": 0.60 if i.prior.eu else 0.45, "level": 0.40 if i.prior.eu else 0.30,
        "assessment_type": 0.35, "participation_form": 0.35, "qa_type": 0.20,
    }),
    "e1": lambda i, q, f: _pick(i.rng, {"same": 0.45, "lighter": 0.45, "none": 0.10}),
    "e2": lambda i, q, f: _pick(i.rng, {
        "inst_accreditation": 0.35, "prog_accreditation": 0.15,
        "agency_verification": 0.35 if i.country == "MY" else 0.08, "none": 0.30, "dk": 0.10,
    }),
    "e3": _likert(3.1),
    "e4": _likert(2.9),
    "f1": lambda i, q, f: _pick(i.rng, {"yes_auto": 0.20, "case_by_case": 0.55, "no": 0.25}),
    "f2_national": lambda i, q, f: _pick(i.rng, {"routinely": 0.15, "case_by_case": 0.6,
                                                 "never": 0.25}),
    "f2_foreign": lambda i, q, f: _pick(i.rng, {"routinely": 0.08, "case_by_case": 0.55,
                                                "never": 0.37}),
    "f3": lambda i, q, f: i.picks({
        "none": 0.20, "credit_transfer": 0.50, "rpl": 0.50 if i.country in ("MY", "PH") else 0.30,
        "learning_agreement": 0.25 if i.prior.eu else 0.10, "lrc_enic": 0.15,
    }, exclusive="none"),
    "f4": lambda i, q, f: i.share_of_degree(),
    "f5": _likert(3.0),
    "g1": lambda i, q, f: _pick(i.rng, {"defined_pathways": 0.25 if i.offers else 0.08,
                                        "ad_hoc": 0.4, "no": 0.35}),
    "g2": lambda i, q, f: _pick(i.rng, {"yes": 0.15, "with_agreements": 0.40, "no": 0.45}),
    "g3": lambda i, q, f: _pick(i.rng, {"yes": 0.35 if i.country in ("PH", "MY") else 0.15,
                                        "no": 0.6, "planned": 0.2}),
    "h1": lambda i, q, f: i.picks({
        "paper": 0.45, "pdf": 0.50, "signed_pdf": 0.35, "open_badges": 0.30, "w3c_vc": 0.05,
        "europass_edc": 0.15 if i.prior.eu else 0.01, "blockchain": 0.05,
    }) or ("pdf",),
    "h2": lambda i, q, f: _pick(i.rng, {"yes": 0.50, "no": 0.50}),
    "h3": lambda i, q, f: _pick(i.rng, {"all": 0.25, "some": 0.55, "none": 0.20}),
    "h4": _likert(3.6),
    **{name: _top_box(share) for name, share in BARRIERS.items()},
    "i2": lambda i, q, f: i.picks(MEASURES | {"regional": 0.1 if i.prior.eu else 0.3},
                                  most=q.max_pick or 3),
    "i3": _likert(3.3, eu_shift=0.5),
    "i4": lambda i, q, f: i.comment(),
}
# fmt: on
