"""Country summaries for roundtables: one country beside the others, small cells hidden.

:func:`country_summary` gathers what a roundtable on one country reads: the
headline indicators of :mod:`analysis.policy_survey` beside the all-country
figures and the country's rank, its policy-matrix column beside the EU
reference and the other countries, its gaps (:func:`policy_matrix.indicators.gaps`),
its top barriers (I1) and most wanted national measures (I2) from the analysis
report, and the comments respondents let the study quote (I4, consent in I5),
with names removed (:mod:`exports.country_comments`).

Nothing here computes a share of its own: the shares are the suppressed
tables of :func:`analysis.service.analyse` (``suppress_below`` =
:data:`SUPPRESS_BELOW`) and the policy-survey shares, which are hidden here
as on the analysis pages when a count of 1–4 answers would show. A summary is
always the organisers' view, whoever asks for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session

from analysis.errors import AnalysisError, AnalysisProblem
from analysis.policy_survey import CountryIndicators, PolicySurvey, Share
from analysis.table_model import TOTAL, Table
from exports.country_comments import Comment, quotable_comments
from policy_matrix.catalogue import Status
from policy_matrix.indicators import REFERENCE, gaps
from policy_matrix.service import Matrix
from survey.versions import form_of, get_questionnaire, versions_of
from survey.xlsform.model import Form, text_in

SUPPRESS_BELOW = 5  # analysis.table_model.SUPPRESS_BELOW: counts of 1–4 are hidden
BARRIER_GROUP = "i1"  # the I1 grid of the bundled questionnaire
BARRIER_PREFIX = "i1_"
MEASURES_QUESTION = "i2"
DEFAULT_FORM = "microcasa_hei"
CODE = re.compile(r"^[A-Za-z]{2}$")


class CountryUnknown(LookupError):
    """Neither the policy matrix nor the responses know this country."""

    def __init__(self, code: str) -> None:
        self.code = code[:20]
        super().__init__(f"No country {self.code!r} in the policy matrix or the responses.")


@dataclass(frozen=True)
class Headline:
    """One indicator: the country beside all countries, and the country's rank.

    ``value`` is a percent (shares, coverage) or a score (maturity); None when
    unknown or hidden. ``k``/``n`` are the counts behind a survey share.
    """

    name: str
    label: str
    unit: str  # "percent" or "score"
    value: float | None
    k: int | None
    n: int | None
    ci: tuple[float, float] | None  # percent
    hidden: bool  # a count of 1–4 would show
    all_value: float | None
    all_words: str  # what the all-country figure is
    rank: int | None  # 1 = highest; None when the country has no (shown) value
    ranked: int  # countries with a value


@dataclass(frozen=True)
class MatrixRow:
    """One dimension: the country's status beside the EU reference and the other countries."""

    dimension: str
    label: str
    status: str  # in words
    reference: str
    others: tuple[str, ...]  # in the order of CountrySummary.others


@dataclass(frozen=True)
class GapLine:
    dimension: str
    label: str
    words: str


@dataclass(frozen=True)
class Ranked:
    """A barrier or a national measure: the country's share beside all countries'."""

    name: str
    label: str
    share: float | None  # percent of the country's valid answers; None when hidden or n = 0
    n: int  # valid answers in the country
    all_share: float | None
    all_n: int


@dataclass(frozen=True)
class CountrySummary:
    """What a roundtable on one country reads; every count of 1–4 is hidden."""

    code: str
    name: str
    form_id: str
    title: str
    language: str  # the report's language code (form labels are in it)
    languages: tuple[tuple[str, str], ...]  # (code, label) the questionnaire has
    synthetic: int  # synthetic responses among those counted
    responses: int  # complete responses from the country
    all_responses: int
    generated: datetime
    suppressed_below: int
    headlines: tuple[Headline, ...]
    others: tuple[tuple[str, str], ...]  # (code, name) of the other matrix countries
    in_matrix: bool
    matrix: tuple[MatrixRow, ...]
    gaps: tuple[GapLine, ...]
    barriers_label: str
    barriers: tuple[Ranked, ...]  # highest share first
    measures_label: str
    measures: tuple[Ranked, ...]
    comments: tuple[Comment, ...]
    barrier_tables: tuple[Table, ...]  # the suppressed I1 tables the barriers come from
    measures_table: Table | None
    notes: tuple[str, ...]


def country_summary(
    session: Session,
    form_id: str,
    code: str,
    *,
    language: str | None = None,
    suppress_below: int = SUPPRESS_BELOW,
) -> CountrySummary:
    """The summary of one country (ISO alpha-2) for a roundtable, in ``language``.

    Raises :class:`CountryUnknown`, :class:`survey.errors.Missing` for an unknown
    questionnaire and :class:`AnalysisProblem` for a language it does not have.
    """
    from analysis import service
    from analysis.policy_survey import policy_survey
    from policy_matrix.service import matrix as matrix_of

    if not CODE.match(code):
        raise CountryUnknown(code)
    code = code.upper()
    questionnaire = get_questionnaire(session, form_id)
    found_matrix = matrix_of(session)
    try:
        analysis = service.analyse(
            session, form_id, language=language, suppress_below=suppress_below
        )
    except AnalysisProblem as exc:
        if exc.error is not AnalysisError.NO_RESPONSES:
            raise
        analysis = None
    if analysis is None:
        form = form_of(versions_of(session, questionnaire)[0])
        languages = service.languages_of(form)
        chosen = language or languages[0][0]
        if chosen not in {c for c, _ in languages}:
            raise AnalysisProblem(
                AnalysisError.LANGUAGE,
                language=chosen[:20],
                choices=", ".join(c for c, _ in languages),
            )
        survey = None
    else:
        languages = analysis.languages
        chosen = analysis.report.language
        survey = policy_survey(service.frame_of(session, form_id), found_matrix, language=chosen)
    countries = {j.code.upper(): j for j in found_matrix.countries}
    rows = {row.code.upper(): row for row in survey.rows} if survey else {}
    if code not in countries and code not in rows:
        raise CountryUnknown(code)
    row = rows.get(code)
    name = countries[code].name if code in countries else (row.name if row else code)
    tables = analysis.report.tables if analysis else ()
    barrier_tables = tuple(
        t for t in tables if t.question.startswith(BARRIER_PREFIX) and t.kind == "likert"
    )
    measures_table = next((t for t in tables if t.question == MEASURES_QUESTION), None)
    others = tuple((j.code, j.name) for j in found_matrix.countries if j.code.upper() != code)
    notes = [
        f"Counts from 1 to {suppress_below - 1} are hidden, and so is anything that would give "
        "them away; a hidden share is shown as “–”.",
        "Shares are percent of valid answers; “don't know” is outside the base.",
    ]
    if survey:  # the rank correlations are not part of a summary
        notes += [n for n in survey.notes if not n.startswith("Rank correlations")]
    if analysis is None:
        notes.append("No complete responses yet: the survey side is empty.")
    return CountrySummary(
        code=code,
        name=name,
        form_id=form_id,
        title=questionnaire.title,
        language=chosen,
        languages=languages,
        synthetic=analysis.synthetic if analysis else 0,
        responses=row.responses if row else 0,
        all_responses=sum(r.responses for r in survey.rows) if survey else 0,
        generated=datetime.now(UTC).replace(microsecond=0),
        suppressed_below=suppress_below,
        headlines=_headlines(code, survey, found_matrix, suppress_below),
        others=others,
        in_matrix=code in countries,
        matrix=_matrix_rows(found_matrix, countries[code].code, others)
        if code in countries
        else (),
        gaps=_gaps(found_matrix, countries[code].code) if code in countries else (),
        barriers_label=_group_label(analysis.form, chosen) if analysis and barrier_tables else "",
        barriers=_barriers(barrier_tables, code),
        measures_label=measures_table.label if measures_table else "",
        measures=_measures(measures_table, code) if measures_table else (),
        comments=quotable_comments(session, form_id, code),
        barrier_tables=barrier_tables,
        measures_table=measures_table,
        notes=tuple(notes),
    )


# --- headline indicators -------------------------------------------------------------

_SURVEY_WORDS = {
    "offering": "Institutions offering micro-credentials",
    "awareness": "Familiar with the term (top-2-box)",
    "recognising": "Recognising micro-credentials of other national institutions",
}


def _hidden(share: Share, threshold: int) -> bool:
    """As on the analysis pages: a share that shows a count of 1 to threshold − 1 is hidden."""
    return 0 < share.k < threshold or 0 < share.n - share.k < threshold


def _rank(value: float | None, values: Sequence[float]) -> int | None:
    """1 + how many countries are strictly higher (ties share a rank)."""
    if value is None:
        return None
    return 1 + sum(other > value for other in values)


def _headlines(
    code: str, survey: PolicySurvey | None, matrix: Matrix, threshold: int
) -> tuple[Headline, ...]:
    from policy_matrix.indicators import coverage, maturity

    found: list[Headline] = []
    if survey is not None:
        rows = survey.rows
        for name, label in _SURVEY_WORDS.items():
            found.append(_survey_headline(code, rows, name, label, threshold))
    scores: list[tuple[str, str, str, Callable[[str], float | None]]] = [
        ("maturity", "Policy maturity (0–4)", "score", lambda c: _float(maturity(matrix, c).score)),
        (
            "coverage",
            "Annex I coverage (mandatory elements)",
            "percent",
            lambda c: coverage(matrix, c).mandatory_pct,
        ),
    ]
    countries = [j.code for j in matrix.countries]
    own = next((c for c in countries if c.upper() == code), None)
    for name, label, unit, value_of in scores:
        values = {c: value_of(c) for c in countries}
        known = [v for v in values.values() if v is not None]
        value = values[own] if own else None
        found.append(
            Headline(
                name=name,
                label=label,
                unit=unit,
                value=value,
                k=None,
                n=None,
                ci=None,
                hidden=False,
                all_value=sum(known) / len(known) if known else None,
                all_words=f"mean of {len(known)} countries",
                rank=_rank(value, known),
                ranked=len(known),
            )
        )
    return tuple(found)


def _float(value: int | None) -> float | None:
    return None if value is None else float(value)


def _survey_headline(
    code: str, rows: Sequence[CountryIndicators], name: str, label: str, threshold: int
) -> Headline:
    shares = [(row.code.upper(), getattr(row, name)) for row in rows]
    valid = [(c, s) for c, s in shares if s is not None and s.share is not None]
    own = next((s for c, s in shares if c == code), None)
    k_all = sum(s.k for _, s in valid)
    n_all = sum(s.n for _, s in valid)
    pooled = Share(k_all, n_all, k_all / n_all if n_all else None, None)
    all_hidden = _hidden(pooled, threshold)
    hidden = own is not None and _hidden(own, threshold)
    value = None if own is None or own.share is None or hidden else own.share * 100
    return Headline(
        name=name,
        label=label,
        unit="percent",
        value=value,
        k=None if hidden or own is None else own.k,
        n=None if own is None else own.n,
        ci=(own.ci.low * 100, own.ci.high * 100) if own and own.ci and not hidden else None,
        hidden=hidden,
        all_value=None if all_hidden or pooled.share is None else pooled.share * 100,
        all_words=f"all {len(valid)} countries pooled (n = {n_all})",
        rank=_rank(value, [s.share * 100 for _, s in valid if s.share is not None]),
        ranked=len(valid),
    )


# --- the matrix column ---------------------------------------------------------------


def _status(matrix: Matrix, code: str, dimension: str) -> str:
    return Status(matrix.cell(code, dimension).status).label


def _matrix_rows(
    matrix: Matrix, code: str, others: Sequence[tuple[str, str]]
) -> tuple[MatrixRow, ...]:
    reference = any(j.code == REFERENCE for j in matrix.jurisdictions)
    return tuple(
        MatrixRow(
            dimension=d.id,
            label=d.label,
            status=_status(matrix, code, d.id),
            reference=_status(matrix, REFERENCE, d.id) if reference else "–",
            others=tuple(_status(matrix, other, d.id) for other, _ in others),
        )
        for d in matrix.catalogue.dimensions
        if not d.computed
    )


def _gaps(matrix: Matrix, code: str) -> tuple[GapLine, ...]:
    return tuple(
        GapLine(g.dimension, matrix.catalogue.dimension(g.dimension).label, g.words)
        for g in gaps(matrix, code)
    )


# --- barriers and measures -----------------------------------------------------------


def _group_label(form: Form, language: str) -> str:
    """The I1 grid's question, in the report's language."""
    try:
        group = form.group(BARRIER_GROUP)
    except KeyError:
        return ""
    return text_in(group.labels, language, form.default_language)


def _ordered(items: list[Ranked]) -> tuple[Ranked, ...]:
    """Highest share first; hidden or unknown shares last, in questionnaire order."""
    return tuple(sorted(items, key=lambda r: (r.share is None, -(r.share or 0.0))))


def _barriers(tables: Sequence[Table], code: str) -> tuple[Ranked, ...]:
    items = []
    for table in tables:
        own, total = table.summary.get(code), table.summary.get(TOTAL)
        items.append(
            Ranked(
                name=table.question,
                label=table.label,
                share=own.top_box if own else None,
                n=own.n if own else 0,
                all_share=total.top_box if total else None,
                all_n=total.n if total else 0,
            )
        )
    return _ordered(items)


def _measures(table: Table, code: str) -> tuple[Ranked, ...]:
    return _ordered(
        [
            Ranked(
                name=option.value,
                label=option.label,
                share=option.percent.get(code),
                n=table.n_valid.get(code, 0),
                all_share=option.percent.get(TOTAL),
                all_n=table.n_valid.get(TOTAL, 0),
            )
            for option in table.options
        ]
    )
