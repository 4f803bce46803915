"""Survey weights: post-stratification to known HEI counts, weighted %, Rao-Scott test.

Within a country, every respondent of a cell (country × institution type) gets
the weight N_cell / n_cell: the cell's number of HEIs over its respondents, so the
weights of a country add up to its HEI population. A country whose cells do not
match the population (respondents in a cell with no population count, or of no
type, or population cells nobody from answered) is weighted as one cell,
N_country / n_country: its total still matches, its type mix is not corrected,
and a warning says so. Respondents of a country the population file does not
know, or of no country, get no weight (NaN) and stay out of weighted estimates.

Pooling countries in a Total column is a setting: "population" keeps the weights
(countries count in proportion to their HEI populations); "equal" rescales each
country to the same total weight (the mean of the countries' HEI totals, so the
grand total is unchanged). Percentages within a country are the same either way.

The CI of a weighted percentage is Wilson's on Kish's effective sample size
n_eff = (Σw)²/Σw², as the Kish and Korn-Graubard style approximations do; the
test of a weighted group × answer table is the first-order Rao-Scott chi-square
with Kish's design effect 1 + CV² of the weights (see :func:`rao_scott`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from types import MappingProxyType
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.stats import chi2

from analysis.population import Population
from analysis.stats.contingency import CRAMERS_V
from analysis.stats.results import Effect, Interval, TestResult, no_test

RAO_SCOTT_CHI_SQUARE = "Rao-Scott chi-square (first-order)"

Pooling = Literal["population", "equal"]
POOLINGS: tuple[Pooling, ...] = get_args(Pooling)


@dataclass(frozen=True)
class CountryWeighting:
    """How one country was weighted, for the method notes."""

    country: str
    respondents: int  # with a weight
    population: int  # HEIs
    effective_n: float  # Kish: (Σw)² / Σw²
    design_effect: float  # n / n_eff = 1 + CV² of the weights
    collapsed: bool  # weighted as one cell (its cells did not match the population)


@dataclass(frozen=True, eq=False)
class Weights:
    """Each respondent's weight (aligned with the frame's index; NaN: not weighted).

    ``values`` is to be read, not changed. ``countries`` follows the population's
    country order; ``warnings`` say in words what did not match and how it was handled.
    """

    values: pd.Series
    pooling: Pooling
    countries: tuple[CountryWeighting, ...]
    warnings: tuple[str, ...]

    @property
    def label(self) -> str:
        """The weighting in a few words, as ``Table.weighting`` and the report's JSON name it."""
        pooled = "by population" if self.pooling == "population" else "equally"
        return f"post-stratified to HEI population counts; Total pooled {pooled}"

    @property
    def effective_n(self) -> float:
        """Kish effective n of all weighted respondents under the pooling rule (the Total)."""
        return kish_effective_n(self.values)

    def describe(self) -> str:
        """The weighting in words, for the method notes."""
        pooled = (
            "countries in proportion to their numbers of HEIs"
            if self.pooling == "population"
            else "every country with the same total weight"
        )
        return (
            "Post-stratified within each country to the number of HEIs by institution "
            f"type (weight = HEIs in the cell / respondents in the cell); the Total pools "
            f"{pooled}. Percentages are weighted; N is unweighted; CIs are Wilson intervals "
            "on Kish's effective n; tests are Rao-Scott chi-squares (first-order)."
        )


def post_stratify(
    frame_data: pd.DataFrame,
    population: Population,
    *,
    pooling: Pooling = "population",
    country: str = "country",
    institution_type: str = "institution_type",
) -> Weights:
    """Post-stratification weights N_cell / n_cell within each country (see the module notes).

    ``country`` and ``institution_type`` name the frame's meta columns.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, got {pooling!r}")
    countries = frame_data[country].astype(object).where(frame_data[country].notna(), None)
    types = frame_data[institution_type].astype(object)
    types = types.where(types.notna() & (types.astype(str) != ""), None)
    weights = pd.Series(np.nan, index=frame_data.index, dtype="float64", name="weight")
    warnings: list[str] = []
    unknown = countries.isna()
    if unknown.any():
        warnings.append(
            f"{_respondents(int(unknown.sum()))} with no country: not weighted, "
            "left out of weighted estimates."
        )
    known = set(population.countries())
    strange = sorted(set(countries.dropna()) - known)
    for code in strange:
        count = int((countries == code).sum())
        warnings.append(
            f"{code}: the population file has no counts for it; {_respondents(count)} "
            "not weighted, left out of weighted estimates."
        )
    done: list[CountryWeighting] = []
    for code in population.countries():
        mine = countries == code
        if not mine.any():
            warnings.append(
                f"{code}: no respondents; its {population.total(code)} HEIs are not "
                "represented in weighted estimates."
            )
            continue
        country_weights, collapsed, notes = _country_weights(
            code, types[mine], population.cells(code)
        )
        weights[mine] = country_weights
        warnings.extend(notes)
        n_eff = kish_effective_n(country_weights)
        done.append(
            CountryWeighting(
                country=code,
                respondents=int(mine.sum()),
                population=population.total(code),
                effective_n=n_eff,
                design_effect=int(mine.sum()) / n_eff if n_eff > 0 else math.nan,
                collapsed=collapsed,
            )
        )
    if pooling == "equal" and done:
        target = sum(c.population for c in done) / len(done)
        for weighting in done:
            mine = countries == weighting.country
            weights[mine] = weights[mine] * (target / weights[mine].sum())
    return Weights(weights, pooling, tuple(done), tuple(warnings))


def _country_weights(
    code: str, types: pd.Series, cells: Mapping[str, int]
) -> tuple[pd.Series, bool, list[str]]:
    """One country's weights, whether it was collapsed to one cell, and why in words."""
    sizes = types.value_counts(dropna=True)
    problems: list[str] = []
    untyped = int(types.isna().sum())
    if untyped:
        problems.append(f"{_respondents(untyped)} of no institution type")
    for kind, n in sizes.items():
        if cells.get(str(kind), 0) == 0:
            problems.append(f"{_respondents(int(n))} of type {kind}, which has no population count")
    for kind, count in cells.items():
        if count > 0 and kind not in sizes.index:
            problems.append(f"no respondents of type {kind} ({count} HEIs)")
    if problems:
        total = sum(cells.values())
        note = (
            f"{code}: {'; '.join(problems)}. The country is weighted as one cell "
            f"({total} HEIs / {len(types)} respondents): its total matches the population, "
            "its mix of institution types is not corrected."
        )
        return pd.Series(total / len(types), index=types.index, dtype="float64"), True, [note]
    per_cell = {kind: cells[str(kind)] / int(n) for kind, n in sizes.items()}
    return types.map(per_cell).astype("float64"), False, []


def _respondents(count: int) -> str:
    return f"{count} respondent" if count == 1 else f"{count} respondents"


def kish_effective_n(weights: ArrayLike) -> float:
    """Kish's effective sample size (Σw)² / Σw² of the finite, positive weights (0 if none)."""
    w = _usable(weights)
    squares = float(np.sum(w * w))
    return float(np.sum(w)) ** 2 / squares if squares > 0 else 0.0


def kish_design_effect(weights: ArrayLike) -> float:
    """Kish's design effect of unequal weighting, n / n_eff = 1 + CV² (1.0 when no weights)."""
    w = _usable(weights)
    n_eff = kish_effective_n(w)
    return len(w) / n_eff if n_eff > 0 else 1.0


def _usable(weights: ArrayLike) -> np.ndarray:
    w = np.asarray(weights, dtype="float64")
    usable: np.ndarray = w[np.isfinite(w) & (w > 0)]
    return usable


@dataclass(frozen=True, slots=True)
class WeightedPercent:
    """One answer's weighted share: percent (0–100), Wilson CI on n_eff in percent, unweighted n.

    ``base`` is the unweighted valid N and ``effective_n`` Kish's n_eff of the valid
    base; ``percent`` and ``ci`` are None when nobody in the base has a weight.
    """

    percent: float | None
    ci: Interval | None
    n: int
    base: int
    effective_n: float


def weighted_percent(
    values: pd.Series | Sequence[Any],
    weights: pd.Series | Sequence[float],
    categories: Sequence[str],
    level: float = 0.95,
) -> Mapping[str, WeightedPercent]:
    """Weighted % of each category among the answers that are one of ``categories``.

    Answers outside ``categories`` (blank, "don't know") and respondents with no
    weight are outside the base. Two Series are matched by index, anything else by
    position. The CI is Wilson's with Kish's n_eff in place of n.
    """
    if isinstance(values, pd.Series) and isinstance(weights, pd.Series):
        weights = weights.reindex(values.index)  # by respondent, not by position
    answers = np.asarray(pd.Series(values).astype(object), dtype=object)
    w = np.asarray(weights, dtype="float64")
    if len(answers) != len(w):
        raise ValueError(f"{len(answers)} values but {len(w)} weights")
    names = [str(category) for category in categories]
    in_base = pd.Series(answers).astype(str).isin(names).to_numpy() & pd.notna(answers)
    weighted = in_base & np.isfinite(w) & (w > 0)
    total = float(w[weighted].sum())
    n_eff = kish_effective_n(w[weighted])
    base = int(weighted.sum())
    shown = pd.Series(answers).astype(str).to_numpy()
    result: dict[str, WeightedPercent] = {}
    for name in names:
        chosen = weighted & (shown == name)
        share = float(w[chosen].sum()) / total if total > 0 else None
        result[name] = WeightedPercent(
            percent=None if share is None else 100.0 * share,
            ci=None if share is None else _wilson_share(share, n_eff, level),
            n=int(chosen.sum()),
            base=base,
            effective_n=n_eff,
        )
    return MappingProxyType(result)


def _wilson_share(share: float, n: float, level: float) -> Interval:
    """Wilson's interval (in percent) for a proportion estimated on a (non-integer) n."""
    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    z2 = z * z
    centre = (share + z2 / (2.0 * n)) / (1.0 + z2 / n)
    half = z / (1.0 + z2 / n) * math.sqrt(share * (1.0 - share) / n + z2 / (4.0 * n * n))
    low = 0.0 if share <= 0.0 else max(0.0, centre - half)
    high = 1.0 if share >= 1.0 else min(1.0, centre + half)
    return Interval(100.0 * low, 100.0 * high)


def rao_scott(weighted: ArrayLike, n: int, design_effect: float) -> TestResult:
    """First-order Rao-Scott chi-square of a weighted group × answer table.

    ``weighted`` holds the sums of weights per cell, ``n`` the unweighted number of
    respondents in the table and ``design_effect`` the mean generalized design effect
    δ̄ (use :func:`kish_design_effect` of the table's respondents' weights).

    The weighted table is rescaled to n, Pearson's X² is computed on it and divided
    by δ̄; df = (r − 1)(c − 1) over the non-empty rows and columns; p from chi²(df).
    Rao & Scott (1981, 1984) estimate δ̄ from the design-based covariance of the
    cell proportions; here δ̄ is Kish's 1 + CV² of the weights, an approximation that
    takes unequal weighting as the only design effect (no clustering, no strata gain)
    and the same effect in every cell. With equal weights the result is Pearson's X².
    Cramér's V is computed on the weighted proportions (it does not depend on δ̄).
    """
    table = np.asarray(weighted, dtype="float64")
    if table.ndim != 2:
        raise ValueError(f"a contingency table has two dimensions, got {table.ndim}")
    if not np.all(np.isfinite(table)) or np.any(table < 0):
        raise ValueError("weighted counts must be finite and not negative")
    if not math.isfinite(design_effect) or design_effect <= 0:
        raise ValueError(f"the design effect must be a positive number, got {design_effect}")
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    rows, columns = table.shape
    note = (
        f"Design effect {design_effect:.3g} (Kish's 1 + CV² of the weights) divides "
        "Pearson's X² of the weighted table rescaled to the unweighted N."
    )
    if n <= 0 or rows < 2 or columns < 2:
        return no_test("Fewer than two groups or two answers have weighted respondents.", n)
    proportions = table / table.sum()
    expected = np.outer(proportions.sum(axis=1), proportions.sum(axis=0))
    pearson = float(n * np.sum((proportions - expected) ** 2 / expected))
    statistic = pearson / design_effect
    df = (rows - 1) * (columns - 1)
    warnings = [note]
    effective = expected * n / design_effect
    small = int(np.sum(effective < 5))
    if small:
        warnings.append(
            f"{small} of {effective.size} cells have an expected count below 5 on the "
            f"effective sample size; minimum {float(effective.min()):.2f}."
        )
    return TestResult(
        name=RAO_SCOTT_CHI_SQUARE,
        statistic=statistic,
        df=df,
        p=float(chi2.sf(statistic, df)),
        effect=Effect(CRAMERS_V, math.sqrt(pearson / (n * (min(rows, columns) - 1)))),
        n=n,
        warnings=tuple(warnings),
    )
