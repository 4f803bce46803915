"""Method notes: what the tables of a report actually did, in words.

Generated from what was done (the tests that were run, the seed, the family of
the BH correction, the weighting), never from a fixed text, so a note never
describes a test the report does not contain.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy

from analysis.scales import MIN_GROUP_N, MIN_ITEMS, Scale
from analysis.stats import (
    FISHER_EXACT,
    KRUSKAL_WALLIS,
    MANN_WHITNEY,
    MONTE_CARLO_CHI_SQUARE,
    NO_TEST,
    PEARSON_CHI_SQUARE,
    TestResult,
)
from analysis.table_model import LOW_BASE, TOTAL, Table
from analysis.variables import Kind
from analysis.weights import RAO_SCOTT_CHI_SQUARE, Weights

if TYPE_CHECKING:
    from analysis.report import Provenance


# When each test is chosen, in words; a note appears only for the tests a report used.
_WHEN = {
    PEARSON_CHI_SQUARE: (
        "Pearson chi-square without Yates' correction, for a choice question (and each option "
        "of a select-multiple question) by group, when no expected count is below 1 and at "
        "most 20% of the expected counts are below 5; effect size Cramér's V."
    ),
    FISHER_EXACT: (
        "Fisher's exact test, for a 2×2 table with an expected count below 1 or more than "
        "20% of its expected counts below 5; effect size Cramér's V."
    ),
    MONTE_CARLO_CHI_SQUARE: (
        "A Monte Carlo chi-square p, for a table larger than 2×2 with an expected count below "
        "1 or more than 20% of its expected counts below 5: tables with the observed margins "
        "are drawn at random and their chi-square compared with the observed one; effect size "
        "Cramér's V."
    ),
    KRUSKAL_WALLIS: (
        "Kruskal-Wallis, for a Likert item by more than two groups and for a numeric question "
        "by any number of groups; effect size epsilon squared, H/(n−1)."
    ),
    MANN_WHITNEY: ("Mann-Whitney U, for a Likert item by two groups; effect size rank-biserial r."),
    RAO_SCOTT_CHI_SQUARE: (
        "First-order Rao-Scott chi-square, for a choice question (and each option of a "
        "select-multiple question) by group in weighted tables: Pearson's X² of the weighted "
        "table rescaled to the unweighted N, divided by Kish's design effect 1 + CV² of the "
        "weights of the table's respondents; df (r − 1)(c − 1); effect size Cramér's V on the "
        "weighted proportions. Cells whose adjusted residual on that table, divided by the "
        "square root of the design effect, exceeds ±1.96 are flagged + or −."
    ),
    NO_TEST: (
        "No test where the data cannot support one (fewer than two groups or answers with "
        "valid values); the table's warnings say why."
    ),
}
_CONTINGENCY = (PEARSON_CHI_SQUARE, FISHER_EXACT, MONTE_CARLO_CHI_SQUARE)


def software_versions() -> dict[str, str]:
    try:
        microcasa = version("microcasa")
    except PackageNotFoundError:  # run from a checkout that was never installed
        microcasa = "unknown"
    return {
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "microcasa": microcasa,
    }


def _tests(tables: Sequence[Table]) -> list[TestResult]:
    found = [table.test for table in tables if table.test is not None]
    found += [o.test for table in tables for o in table.options if o.test is not None]
    return found


SYNTHETIC_NOTE = (
    "SYNTHETIC DEMO DATA: some or all of these responses were made up by the platform's "
    "generator to show how the tables work; they are not real answers and must not be cited."
)


def method_notes(
    tables: Sequence[Table],
    provenance: Provenance,
    *,
    seed: int,
    weights: Weights | None = None,
    scales: Sequence[Scale] = (),
    synthetic: bool = False,
) -> tuple[str, ...]:
    """The method notes, in words, of what these tables (and ``scales``) actually did (with
    ``weights``, if any). ``synthetic`` data is named as such first."""
    notes = [
        *([SYNTHETIC_NOTE] if synthetic else []),
        f"Data: {provenance.source}",
        f"Form version{'s' if len(provenance.versions) > 1 else ''}: "
        f"{', '.join(v or '(none)' for v in provenance.versions)}.",
    ]
    if provenance.fieldwork_start:
        notes.append(
            f"Fieldwork: responses completed from {provenance.fieldwork_start[:10]} "
            f"to {(provenance.fieldwork_end or '')[:10]}."
        )
    counts = ", ".join(f"{g} {n}" for g, n in provenance.n.items() if g != TOTAL)
    pooled = (
        "unweighted"
        if weights is None
        else "weighted, "
        + (
            "countries in proportion to their numbers of HEIs"
            if weights.pooling == "population"
            else "every country with the same total weight"
        )
    )
    notes.append(
        f"Columns: responses grouped by {provenance.by} ({counts}); the Total column pools "
        f"all {provenance.n.get(TOTAL, 0)} {pooled}. Responses without a valid value of "
        f"{provenance.by} are left out."
    )
    if provenance.filter:
        notes.append(
            f"Filter: only responses with {provenance.filter} "
            f"({provenance.n.get(TOTAL, 0)} of {provenance.responses})."
        )
    notes.append(
        "User-missing answers (“don't know”, “not applicable”, “refused”) are shown as rows of "
        "their own but are outside the valid N: never in a percentage, a median, a mean or a "
        "test. "
        + (
            "Percentages are of the valid N, with 95% Wilson intervals."
            if weights is None
            else "Percentages are weighted, of the valid N, with 95% Wilson intervals on "
            "Kish's effective n; counts and N are unweighted."
        )
    )
    tests = _tests(tables)
    names = [name for name in _WHEN if any(test.name == name for test in tests)]
    notes.extend(f"Test: {_WHEN[name]}" for name in names)
    if any(name in names for name in _CONTINGENCY):
        notes.append(
            "Expected-count rule (Cochran): the chi-square approximation is used only when no "
            "expected count is below 1 and at most 20% are below 5. Cells whose adjusted "
            "standardized residual exceeds ±1.96 are flagged + or −."
        )
    simulated = [test for test in tests if test.resamples is not None]
    if simulated:
        resamples = sorted({test.resamples for test in simulated if test.resamples})
        seeds = sorted({test.seed for test in simulated if test.seed is not None}) or [seed]
        notes.append(
            f"Monte Carlo p-values: {', '.join(map(str, resamples))} resampled tables "
            f"with seed {', '.join(map(str, seeds))}; the same seed gives the same p."
        )
    if any(table.letters for table in tables):
        notes.append(
            "After a Kruskal-Wallis p below 0.05: Dunn's pairwise tests with Holm's correction, "
            "shown as letters (groups sharing a letter do not differ)."
        )
    if any(table.kind == Kind.MULTIPLE for table in tables):
        notes.append(
            "Select-multiple questions: the base is the respondents who answered the question "
            "(columns may sum past 100%); one group × (picked, not picked) test per option, "
            "with Holm's correction across the question's options."
        )
    family = next((t.q_family for t in tables if t.q_family is not None), 0)
    notes.append(
        f"Multiple comparisons: q-values by Benjamini-Hochberg across the report's family of "
        f"{family} test{'s' if family != 1 else ''} (one per question; for a select-multiple "
        "question its smallest Holm-adjusted p)."
    )
    notes.append(f"Low base: a column whose valid N is below {LOW_BASE} is flagged.")
    notes.extend(_scale_notes(scales))
    notes.extend(_weighting_notes(weights))
    versions = software_versions()
    notes.append("Software: " + ", ".join(f"{name} {v}" for name, v in versions.items()) + ".")
    return tuple(notes)


def _scale_notes(scales: Sequence[Scale]) -> list[str]:
    if not scales:
        return []
    count = len(scales)
    grids = "grid" if count == 1 else "grids"
    named = ", ".join(f"{scale.name} ({len(scale.items)} items)" for scale in scales)
    return [
        f"Scales: Cronbach's alpha with Feldt's 95% confidence interval for the {count} Likert "
        f"{grids} ({named}): consecutive Likert questions of one questionnaire group sharing a "
        f"choice list, at least {MIN_ITEMS} items. Alpha was computed on complete cases only "
        "(respondents with a valid answer to every item of the grid; “don't know”, “not "
        "applicable” and blanks leave a respondent out), pooled over all groups and per group "
        f"where a group has at least {MIN_GROUP_N} complete cases; “alpha if item deleted” "
        "uses the same complete cases. Alpha is unweighted."
    ]


_ONE_CELL = ", weighted as one cell"


def _weighting_notes(weights: Weights | None) -> list[str]:
    if weights is None:
        return ["Weighting: unweighted; every response counts once."]
    effects = "; ".join(
        f"{c.country} {c.design_effect:.2f} ({c.respondents} respondents, n_eff "
        f"{c.effective_n:.1f}, {c.population} HEIs{_ONE_CELL if c.collapsed else ''})"
        for c in weights.countries
    )
    pooling = "population" if weights.pooling == "population" else "equal"
    notes = [
        f"Weighting: {weights.describe()} Pooling rule: {pooling}.",
        f"Design effects of the weights (Kish, 1 + CV²), by country: {effects or 'none'}.",
        "Weighted tables leave out responses without a weight. Likert medians, means and rank "
        "tests, and numeric summaries and tests, are unweighted; a Likert table's percentages "
        "and top-2-box share are weighted.",
    ]
    notes.extend(f"Weighting: {warning}" for warning in weights.warnings)
    return notes
