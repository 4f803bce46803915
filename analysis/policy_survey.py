"""Policy × survey: each country's matrix indicators beside its survey indicators.

Matrix side (from :mod:`policy_matrix.indicators`): maturity 0–4, Annex I
coverage (share of the 11 mandatory elements PM10 provides for) and the status
of the :data:`KEY_DIMENSIONS`. Survey side: per country, the share of valid
answers that count as "yes" for each of :data:`SURVEY_INDICATORS`, with its
Wilson 95% interval and valid N. User-missing answers ("don't know") are
outside the base; an unanswered question is too.

Countries are the frame's country meta column joined by ISO code to the matrix
countries; the reference rows (EU, ASEAN) are not countries and give no row.
Spearman's rank correlation is computed for every matrix × survey indicator
pair over the countries that have both. With fewer than
:data:`DESCRIPTIVE_BELOW` countries it is descriptive: the p-value is shown
but is not to be read as a test. Countries are the units of analysis, so the
correlation says nothing about institutions within a country.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import pandas as pd
import pycountry
from scipy.stats import spearmanr

from analysis.frame import Frame
from analysis.stats import Interval, wilson
from analysis.variables import Kind
from policy_matrix.indicators import coverage, maturity
from policy_matrix.service import Matrix

# Policy areas the survey indicators could follow; see CountryIndicators for why these.
KEY_DIMENSIONS = ("PM01", "PM13", "PM16", "PM17")
MATRIX_INDICATORS = ("maturity", "coverage")
SURVEY_INDICATORS = ("offering", "awareness", "recognising")
DESCRIPTIVE_BELOW = 10  # countries: below this a rank correlation is described, not tested
MIN_COUNTRIES = 3  # fewer countries having both: no correlation at all
LOW_BASE = 30  # valid N below which a share is flagged (as in the comparative tables)


@dataclass(frozen=True)
class SurveyQuestion:
    """Which question a survey indicator reads and which of its answers count.

    ``counted`` names the choices counted as "yes"; empty means the two highest
    valid points of a Likert item (top-2-box). Other valid answers are "no".
    """

    question: str
    counted: tuple[str, ...] = ()


# The bundled questionnaire (survey/forms/microcasa_hei.md): C1 stage emerging,
# established or mature (the stages shown the offer questions); B1 familiarity with
# the term, 4 or 5 of 5; F2 recognising micro-credentials from other national HEIs,
# routinely or case by case (never is "no").
DEFAULT_QUESTIONS: Mapping[str, SurveyQuestion] = MappingProxyType(
    {
        "offering": SurveyQuestion("c1", ("emerging", "established", "mature")),
        "awareness": SurveyQuestion("b1"),
        "recognising": SurveyQuestion("f2_national", ("routinely", "case_by_case")),
    }
)


@dataclass(frozen=True)
class Share:
    """k of the valid n answers count; share and Wilson CI are None when n == 0."""

    k: int
    n: int
    share: float | None
    ci: Interval | None

    @property
    def low_base(self) -> bool:
        return 0 < self.n < LOW_BASE


@dataclass(frozen=True)
class KeyStatus:
    dimension: str
    label: str
    status: str  # the cell's status ("unknown" for an empty cell)
    rank: int | None  # none 0 … implemented 4; None for unknown and not applicable


@dataclass(frozen=True)
class CountryIndicators:
    """One country: its matrix indicators beside its survey indicators.

    The key dimensions are one per policy area the survey asks about: PM01 the
    national definition (the framework institutions would offer and know of),
    PM13 the external QA mechanism (the national check, where PM12 is the
    institution's own), PM16 the RPL/validation route (what lets an institution
    recognise incoming micro-credentials) and PM17 the maximum credit
    recognisable (how far that recognition may count towards a degree).
    """

    code: str
    name: str
    in_matrix: bool
    maturity: int | None  # 0–4
    coverage: float | None  # % of the 11 mandatory Annex I elements provided for
    statuses: tuple[KeyStatus, ...]  # KEY_DIMENSIONS, in that order; () without a matrix column
    responses: int
    offering: Share | None  # None: the indicator's question could not be used
    awareness: Share | None
    recognising: Share | None


@dataclass(frozen=True)
class Correlation:
    """Spearman's rho between a matrix and a survey indicator across countries.

    None when fewer than MIN_COUNTRIES countries have both or one side does not vary.
    """

    matrix_indicator: str
    survey_indicator: str
    n: int  # countries having both
    rho: float | None
    p: float | None
    descriptive: bool  # n < DESCRIPTIVE_BELOW: p is not interpreted
    words: str


@dataclass(frozen=True)
class QuestionUsed:
    indicator: str
    question: str
    label: str  # "" when the question could not be used
    counted: tuple[str, ...]  # choice names counted as "yes"
    used: bool


@dataclass(frozen=True)
class PolicySurvey:
    rows: tuple[CountryIndicators, ...]  # matrix countries in order, then survey-only ones
    correlations: tuple[Correlation, ...]  # MATRIX_INDICATORS × SURVEY_INDICATORS
    questions: tuple[QuestionUsed, ...]
    notes: tuple[str, ...]


def policy_survey(
    frame: Frame,
    matrix: Matrix,
    *,
    language: str = "en",
    questions: Mapping[str, SurveyQuestion] | None = None,
) -> PolicySurvey:
    """Each country's matrix and survey indicators, and their rank correlations.

    ``questions`` replaces entries of :data:`DEFAULT_QUESTIONS` by indicator name.
    """
    unknown = set(questions or {}) - set(SURVEY_INDICATORS)
    if unknown:
        raise ValueError(f"unknown survey indicators {sorted(unknown)}; use {SURVEY_INDICATORS}")
    mapping = {**DEFAULT_QUESTIONS, **(questions or {})}
    when = f"as of {matrix.as_of.isoformat()}" if matrix.as_of else "as it is now"
    notes = [f"Survey: {frame.source.description} Policy matrix {when}."]
    country = frame.data[frame.meta["country"]].astype("string").str.strip().str.upper()
    country = country.replace("", pd.NA)
    if (missing := int(country.isna().sum())) > 0:
        notes.append(f"{missing} response(s) have no country and are left out.")
    used = [_question(frame, name, mapping[name], language, notes) for name in SURVEY_INDICATORS]
    shares = {
        item.indicator: _shares(frame, item, country) for item in used if item.used
    }  # indicator -> country -> Share
    counts = country.value_counts()
    matrix_codes = [j.code for j in matrix.countries]
    survey_only = sorted(set(counts.index) - {code.upper() for code in matrix_codes})
    rows = [
        _row(matrix, code, int(counts.get(code.upper(), 0)), shares, in_matrix=True)
        for code in matrix_codes
    ]
    rows += [_row(matrix, code, int(counts[code]), shares, in_matrix=False) for code in survey_only]
    notes += _row_notes(rows)
    correlations = tuple(_correlate(rows, m, s) for m in MATRIX_INDICATORS for s in shares)
    if any(c.rho is not None and c.descriptive for c in correlations):
        notes.append(
            f"Rank correlations over fewer than {DESCRIPTIVE_BELOW} countries are descriptive: "
            "their p-values are shown but not interpreted."
        )
    return PolicySurvey(tuple(rows), correlations, tuple(used), tuple(notes))


def _question(
    frame: Frame, indicator: str, spec: SurveyQuestion, language: str, notes: list[str]
) -> QuestionUsed:
    def refuse(reason: str) -> QuestionUsed:
        notes.append(f"“{indicator}” is not computed: {reason}.")
        return QuestionUsed(indicator, spec.question, "", spec.counted, False)

    try:
        variable = frame.variable(spec.question)
    except KeyError:
        return refuse(f"question {spec.question} is not in the questionnaire")
    if variable.kind not in (Kind.CATEGORICAL, Kind.LIKERT):
        return refuse(f"{spec.question} is not a single-choice question")
    counted = spec.counted
    if not counted:
        if variable.kind is not Kind.LIKERT:
            return refuse(f"{spec.question} is not a Likert item, so name the choices to count")
        counted = tuple(str(c) for c in frame.valid(spec.question).cat.categories[-2:])
    wrong = [name for name in counted if name not in variable.valid_choices]
    if wrong:
        return refuse(f"{', '.join(wrong)} are not valid choices of {spec.question}")
    return QuestionUsed(indicator, spec.question, variable.label(language), counted, True)


def _shares(frame: Frame, used: QuestionUsed, country: pd.Series) -> dict[str, Share]:
    answers = frame.valid(used.question)
    table = pd.DataFrame(
        {
            "country": country,
            "n": answers.notna().astype("int64"),
            "k": answers.isin(used.counted).astype("int64"),
        }
    ).dropna(subset=["country"])
    sums = table.groupby("country").sum()
    return {str(code): _share(int(row["k"]), int(row["n"])) for code, row in sums.iterrows()}


def _share(k: int, n: int) -> Share:
    return Share(k, n, k / n if n else None, wilson(k, n))


def _row(
    matrix: Matrix,
    code: str,
    responses: int,
    shares: Mapping[str, Mapping[str, Share]],
    *,
    in_matrix: bool,
) -> CountryIndicators:
    def survey(indicator: str) -> Share | None:
        if indicator not in shares:
            return None
        return shares[indicator].get(code.upper(), _share(0, 0))

    if in_matrix:
        name = matrix.jurisdiction(code).name
        score = maturity(matrix, code).score
        elements = coverage(matrix, code).mandatory_pct
        statuses = tuple(
            KeyStatus(d, matrix.catalogue.dimension(d).label, cell.status, cell.rank)
            for d in KEY_DIMENSIONS
            if (cell := matrix.cell(code, d))
        )
    else:
        found = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
        name, score, elements, statuses = (found.name if found else code), None, None, ()
    return CountryIndicators(
        code=code,
        name=name,
        in_matrix=in_matrix,
        maturity=score,
        coverage=elements,
        statuses=statuses,
        responses=responses,
        offering=survey("offering"),
        awareness=survey("awareness"),
        recognising=survey("recognising"),
    )


def _row_notes(rows: list[CountryIndicators]) -> list[str]:
    notes: list[str] = []
    for row in rows:
        if not row.in_matrix:
            notes.append(
                f"{row.code} has responses but no column in the policy matrix: its matrix "
                "indicators are empty and it is left out of the rank correlations."
            )
        elif row.responses == 0:
            notes.append(f"{row.code} has no responses: its survey indicators are empty.")
    for name, words, why in (
        ("maturity", "maturity score", "fewer than 3 of its five dimensions are known"),
        ("coverage", "Annex I coverage", "PM10 is unknown, not applicable or states no element"),
    ):
        if lacking := [row.code for row in rows if row.in_matrix and getattr(row, name) is None]:
            notes.append(f"No {words} for {', '.join(lacking)}: {why}.")
    return notes


def _correlate(rows: list[CountryIndicators], matrix_name: str, survey_name: str) -> Correlation:
    pairs = [
        (value, share.share)
        for row in rows
        if (value := getattr(row, matrix_name)) is not None
        and (share := getattr(row, survey_name)) is not None
        and share.share is not None
    ]
    n = len(pairs)
    descriptive = n < DESCRIPTIVE_BELOW

    def result(rho: float | None, p: float | None, words: str) -> Correlation:
        return Correlation(matrix_name, survey_name, n, rho, p, descriptive, words)

    if n < MIN_COUNTRIES:
        return result(None, None, f"not computed: {n} countries have both (need {MIN_COUNTRIES})")
    x, y = zip(*pairs, strict=True)
    if len(set(x)) == 1 or len(set(y)) == 1:
        same = matrix_name if len(set(x)) == 1 else survey_name
        return result(None, None, f"not computed: {same} is the same in all {n} countries")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = spearmanr(x, y)
    rho, p = float(found.statistic), float(found.pvalue)
    words = f"Spearman ρ = {rho:.2f} over {n} countries"
    if descriptive:
        words += f" (descriptive: fewer than {DESCRIPTIVE_BELOW} countries, p not interpreted)"
    else:
        words += f", p = {p:.3g}"
    return result(rho, p, words)
