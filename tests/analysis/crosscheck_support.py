"""Generated survey data and independent reference computations for test_crosscheck.

Nothing here imports the platform's statistics: every reference value is computed
from the raw generated answers with scipy, statsmodels or a formula written out in
numpy, so that a test comparing it with a table checks the platform, not itself.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations, product

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import chi2, f, norm, rankdata
from statsmodels.stats.proportion import proportion_confint  # type: ignore[import-untyped]

from analysis.external import load_external
from analysis.frame import Frame
from analysis.table_model import TOTAL

Floats = NDArray[np.float64]

FORM = """
## survey
| type | name | label |
| --- | --- | --- |
| select_one sector | sector | Sector |
| select_one ready | ready | Is your institution ready? |
| select_one yesno | policy | Is there a policy? |
| select_one agree | trust | I trust micro-credentials |
| select_one agree | value | Employers value them |
| select_one agree | fit | They fit our mission |
| select_multiple offer | offer | What do you offer? |
| integer | staff | Staff |

## choices
| list_name | name | label |
| --- | --- | --- |
| sector | public | Public |
| sector | private | Private |
| ready | yes | Yes |
| ready | partly | Partly |
| ready | no | No |
| ready | dk | Don't know |
| yesno | yes | Yes |
| yesno | no | No |
| yesno | dk | Don't know |
| agree | 1 | Disagree |
| agree | 2 | 2 |
| agree | 3 | 3 |
| agree | 4 | 4 |
| agree | 5 | Agree |
| agree | dk | Don't know |
| offer | short | Short courses |
| offer | cert | Certificates |
| offer | badge | Badges |
| offer | dk | Don't know |

## settings
| form_id | version |
| --- | --- |
| crosscheck | 1 |
"""

HEADER = ("country", "sector", "ready", "policy", "trust", "value", "fit", "offer", "staff")
LIKERT_ITEMS = ("trust", "value", "fit")
OPTIONS = ("short", "cert", "badge")  # the valid options of "offer"; "dk" is user-missing
MISSING = "dk"
PLATFORM_SEED = 20261128  # analysis.tables.SEED, the default Monte Carlo seed
PLATFORM_RESAMPLES = 10_000  # categorical_test's default number of resamples


@dataclass(frozen=True)
class Generated:
    """A frame loaded through load_external, the raw answers it came from, and weights."""

    frame: Frame
    raw: pd.DataFrame  # the generated cells as strings, index = the frame's row numbers
    weights: pd.Series  # one positive weight per row, a few NaN (no weight)


def _csv(rows: Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _likert(rng: np.random.Generator, latent: Floats) -> list[str]:
    points = np.digitize(latent, [-1.5, -0.5, 0.5, 1.5]) + 1
    dk = rng.random(latent.size) < 0.06
    return [MISSING if miss else str(point) for point, miss in zip(points, dk, strict=True)]


def _offer(rng: np.random.Generator, share: float) -> str:
    if rng.random() < 0.05:
        return MISSING  # only "don't know": in the base N, not in the valid N
    picked = [option for option in OPTIONS if rng.random() < share]
    return " ".join(picked)  # none picked: the question is not answered


def _build(rng: np.random.Generator, sizes: dict[str, int], shift: dict[str, float]) -> Generated:
    rows: list[list[object]] = []
    for country, size in sizes.items():
        mood = rng.normal(shift[country], 1.0, size)  # shared by the Likert items (alpha)
        items = [_likert(rng, mood + rng.normal(0.0, 0.8, size)) for _ in LIKERT_ITEMS]
        ready_p = rng.dirichlet([4.0, 3.0, 3.0]) * 0.94
        ready = rng.choice(["yes", "partly", "no", MISSING], size, p=[*ready_p, 0.06])
        policy = rng.choice(["yes", "no", MISSING], size, p=[0.55, 0.4, 0.05])
        staff = np.round(rng.gamma(2.0 + shift[country], 40.0, size)).astype(int)
        for at in range(size):
            rows.append(
                [
                    country,
                    "public" if rng.random() < 0.5 else "private",
                    ready[at],
                    policy[at],
                    *(item[at] for item in items),
                    _offer(rng, 0.3 + 0.2 * shift[country]),
                    "" if rng.random() < 0.05 else int(staff[at]),
                ]
            )
    return _loaded(rng, rows)


def _loaded(rng: np.random.Generator, rows: list[list[object]]) -> Generated:
    frame = load_external(FORM.encode(), "form.md", _csv([HEADER, *rows]), "data.csv")
    assert frame.rejected == ()
    raw = pd.DataFrame(rows, columns=list(HEADER), index=frame.data.index).astype(str)
    weights = pd.Series(rng.lognormal(0.0, 0.6, len(rows)), index=frame.data.index)
    weights.iloc[rng.choice(len(rows), 3, replace=False)] = np.nan
    return Generated(frame, raw, weights)


def main_data(seed: int) -> Generated:
    """Four countries of 60-110 rows; DE and IT alike, MY and PH alike and higher."""
    rng = np.random.default_rng(seed)
    countries = ("DE", "IT", "MY", "PH")
    sizes = {c: int(n) for c, n in zip(countries, rng.integers(60, 110, 4), strict=True)}
    return _build(rng, sizes, {"DE": 0.0, "IT": 0.1, "MY": 1.0, "PH": 1.1})


def small_data(seed: int) -> Generated:
    """Three countries of 7-11 rows: expected counts are small, so exact/Monte Carlo p."""
    rng = np.random.default_rng(seed + 1000)
    sizes = {c: int(n) for c, n in zip(("CY", "LU", "MT"), rng.integers(7, 12, 3), strict=True)}
    generated = _build(rng, sizes, {"CY": 0.0, "LU": 0.5, "MT": 1.0})
    rows = generated.raw.to_numpy(dtype=object).tolist()
    # "policy" by sector is a 2x2 with 3-5 "no" among the public, 0-1 among the private
    # institutions: at least one of its four expected counts is below 5, so Fisher's test.
    for sector, no in (("public", int(rng.integers(3, 6))), ("private", int(rng.integers(0, 2)))):
        mine = [at for at, row in enumerate(rows) if row[1] == sector]
        chosen = rng.permutation(mine)
        answers = ["no"] * no + [MISSING] + ["yes"] * len(mine)
        for at, answer in zip(chosen, answers, strict=False):
            rows[at][3] = answer
    return _loaded(rng, rows)


# --- the raw answers behind a table column ----------------------------------------


def members(generated: Generated, by: str, group: str, weighted: bool = False) -> pd.Series:
    """The raw rows of a table column (Total: every valid value of ``by``, "dk" is none);
    weighted: only those with a weight."""
    raw = generated.raw
    rows = (raw[by] != "") & (raw[by] != MISSING) if group == TOTAL else raw[by] == group
    return rows & generated.weights.notna() if weighted else rows


def valid_answers(generated: Generated, question: str, rows: pd.Series) -> pd.Series:
    answers = generated.raw.loc[rows, question]
    return answers[(answers != "") & (answers != MISSING)]


def scores(generated: Generated, question: str, rows: pd.Series) -> Floats:
    values: Floats = valid_answers(generated, question, rows).to_numpy(dtype=np.float64)
    return values


def reference_crosstab(generated: Generated, question: str, by: str) -> pd.DataFrame:
    answers = valid_answers(generated, question, members(generated, by, TOTAL))
    return pd.crosstab(generated.raw.loc[answers.index, by], answers)


def option_crosstab(generated: Generated, option: str, by: str) -> pd.DataFrame:
    """Groups x (picked, not picked) among respondents who picked a valid option."""
    picks = generated.raw["offer"].str.split()
    valid = picks.map(lambda chosen: any(o in OPTIONS for o in chosen))
    picked = picks[valid].map(lambda chosen: option in chosen)
    return pd.crosstab(generated.raw.loc[valid, by], picked)


def distinct_scores(generated: Generated, question: str) -> pd.Series:
    """A filter keeping 2-3 respondents per sector whose valid scores are all distinct."""
    raw = generated.raw
    valid = ~raw[question].isin(["", MISSING])
    offered = {
        g: set(raw.loc[valid & (raw["sector"] == g), question]) for g in ("public", "private")
    }
    first, second = sorted(offered, key=lambda g: len(offered[g]))  # the scarcer one chooses first
    mine = sorted(offered[first], key=lambda score: score in offered[second])[:2]
    chosen = {first: mine, second: sorted(offered[second] - set(mine))[:3]}
    keep = pd.Series(False, index=raw.index)
    for sector, picked in chosen.items():
        for score in picked:
            keep[(valid & (raw["sector"] == sector) & (raw[question] == score)).idxmax()] = True
    return keep


# --- references ------------------------------------------------------------------------


def wilson_percent(count: float, n: float) -> tuple[float, float]:
    """statsmodels' Wilson interval, in percent."""
    low, high = proportion_confint(count, n, alpha=0.05, method="wilson")
    return 100.0 * float(low), 100.0 * float(high)


def cochran_reliable(table: NDArray[np.int64]) -> bool:
    """The docs' rule: no expected count below 1 and at most 20% of cells below 5."""
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    return bool(expected.min() >= 1.0 and np.mean(expected < 5.0) <= 0.2)


def permutation_p(groups: NDArray[np.int64], answers: NDArray[np.int64], draws: int) -> float:
    """Monte Carlo p of Pearson's X2 by shuffling group labels (margins fixed), own generator."""
    rows, columns = int(groups.max()) + 1, int(answers.max()) + 1
    cells = rows * columns

    def statistics(labels: NDArray[np.int64]) -> Floats:
        flat = labels * columns + answers + cells * np.arange(labels.shape[0])[:, None]
        tables = np.bincount(flat.ravel(), minlength=cells * labels.shape[0])
        tables = tables.reshape(labels.shape[0], rows, columns)
        expected = np.outer(np.bincount(groups), np.bincount(answers)) / groups.size
        result: Floats = ((tables - expected) ** 2 / expected).sum(axis=(1, 2))
        return result

    observed = float(statistics(groups[None, :])[0])
    rng = np.random.default_rng(987_654_321)
    shuffled = rng.permuted(np.tile(groups, (draws, 1)), axis=1)
    extreme = int(np.count_nonzero(statistics(shuffled) >= observed * (1 - 1e-9)))
    return (extreme + 1) / (draws + 1)


def conditional_tables(counts: NDArray[np.int64]) -> tuple[Floats, Floats]:
    """Every r x 2 table with the margins of ``counts``: its probability under independence
    (product of binomial coefficients over C(n, column 1 total)) and its Pearson X2."""
    assert counts.shape[1] == 2
    rows, first = counts.sum(axis=1), int(counts[:, 0].sum())
    n = int(rows.sum())
    expected = np.outer(rows, counts.sum(axis=0)) / n
    probabilities, statistics = [], []
    for cells in product(*(range(int(r) + 1) for r in rows)):
        if sum(cells) != first:
            continue
        table = np.column_stack([cells, rows - np.array(cells)])
        ways = math.prod(math.comb(int(r), a) for r, a in zip(rows, cells, strict=True))
        probabilities.append(ways / math.comb(n, first))
        statistics.append(float(np.sum((table - expected) ** 2 / expected)))
    return np.array(probabilities), np.array(statistics)


def exact_chi_square_p(counts: NDArray[np.int64]) -> float:
    """The exact conditional p that a Monte Carlo chi-square estimates (r x 2 tables)."""
    probabilities, statistics = conditional_tables(counts)
    expected = np.outer(counts.sum(axis=1), counts.sum(axis=0)) / counts.sum()
    observed = float(np.sum((counts - expected) ** 2 / expected))
    return float(probabilities[statistics >= observed * (1 - 1e-9)].sum())


def fisher_by_hand(counts: NDArray[np.int64]) -> float:
    """Two-sided Fisher p: the probability of the tables no more likely than the observed."""
    probabilities, _ = conditional_tables(counts)
    rows, first = counts.sum(axis=1), int(counts[:, 0].sum())
    ways = math.prod(math.comb(int(r), int(a)) for r, a in zip(rows, counts[:, 0], strict=True))
    observed = ways / math.comb(int(rows.sum()), first)
    return float(probabilities[probabilities <= observed * (1 + 1e-7)].sum())


def mann_whitney_exact_p(a: Floats, b: Floats) -> float:
    """Two-sided exact p without ties: U of every split of the pooled values into groups of
    the two sizes; twice the smaller tail at the observed U, capped at 1 (R's wilcox.test)."""
    pooled = np.concatenate([a, b])
    us = []
    for chosen in combinations(range(pooled.size), a.size):
        first = pooled[list(chosen)]
        second = np.delete(pooled, list(chosen))
        us.append(int(np.sum(first[:, None] > second[None, :])))
    observed = int(np.sum(a[:, None] > b[None, :]))
    spread = np.array(us)
    return min(1.0, 2.0 * float(min(np.mean(spread <= observed), np.mean(spread >= observed))))


def holm(pvalues: Sequence[float | None]) -> Floats:
    """Holm's step-down adjustment written out (every p must be given): the i-th smallest
    p times (m − i + 1), made monotone, capped at 1. ``test_holm_reference`` checks it
    against statsmodels' multipletests once (which is slow: it collects garbage per call).
    """
    given = np.asarray([p for p in pvalues if p is not None], dtype=np.float64)
    m = given.size
    order = np.argsort(given, kind="stable")
    scaled = given[order] * (m - np.arange(m))
    adjusted: Floats = np.empty(m, dtype=np.float64)
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted


def kruskal_by_hand(groups: Sequence[Floats]) -> float:
    """Tie-corrected H = [12/(N(N+1)) sum R_i^2/n_i - 3(N+1)] / [1 - sum(t^3-t)/(N^3-N)]."""
    pooled = np.concatenate(groups)
    n = pooled.size
    ranks = rankdata(pooled)
    bounds = np.cumsum([g.size for g in groups])[:-1]
    h = 12.0 / (n * (n + 1)) * sum(r.sum() ** 2 / r.size for r in np.split(ranks, bounds))
    h -= 3.0 * (n + 1)
    _, ties = np.unique(pooled, return_counts=True)
    return float(h / (1.0 - np.sum(ties.astype(float) ** 3 - ties) / (n**3 - n)))


def mann_whitney_by_hand(a: Floats, b: Floats) -> tuple[float, float]:
    """U of a (pairs a > b, ties 1/2) and the two-sided normal p, tie- and continuity-corrected."""
    u = float(np.sum(a[:, None] > b[None, :]) + 0.5 * np.sum(a[:, None] == b[None, :]))
    n1, n2 = a.size, b.size
    n = n1 + n2
    _, ties = np.unique(np.concatenate([a, b]), return_counts=True)
    variance = n1 * n2 / 12.0 * ((n + 1) - np.sum(ties.astype(float) ** 3 - ties) / (n * (n - 1)))
    z = (abs(u - n1 * n2 / 2.0) - 0.5) / math.sqrt(variance)
    return u, float(2.0 * norm.sf(z))


def dunn_holm_by_hand(groups: dict[str, Floats]) -> dict[tuple[str, str], float]:
    """Dunn's z on joint ranks with the tie-corrected variance; Holm by statsmodels."""
    names = list(groups)
    pooled = np.concatenate([groups[g] for g in names])
    n = pooled.size
    ranks = rankdata(pooled)
    bounds = np.cumsum([groups[g].size for g in names])[:-1]
    mean_rank = {g: float(r.mean()) for g, r in zip(names, np.split(ranks, bounds), strict=True)}
    _, ties = np.unique(pooled, return_counts=True)
    variance = n * (n + 1) / 12.0 - np.sum(ties.astype(float) ** 3 - ties) / (12.0 * (n - 1))
    pairs = list(combinations(names, 2))
    p = [
        2.0
        * norm.sf(
            abs(mean_rank[a] - mean_rank[b])
            / math.sqrt(variance * (1 / groups[a].size + 1 / groups[b].size))
        )
        for a, b in pairs
    ]
    adjusted = holm(p)
    return {pair: float(q) for pair, q in zip(pairs, adjusted, strict=True)}


def alpha_by_anova(items: Floats) -> tuple[float, float, float]:
    """Alpha = 1 - MS_error / MS_cases of the two-way (cases x items) ANOVA, and the
    ICC(3,k) interval of McGraw & Wong (1996), which is Feldt's interval for alpha."""
    n, k = items.shape
    grand = items.mean()
    ss_cases = k * np.sum((items.mean(axis=1) - grand) ** 2)
    ss_items = n * np.sum((items.mean(axis=0) - grand) ** 2)
    ss_error = np.sum((items - grand) ** 2) - ss_cases - ss_items
    df_cases, df_error = n - 1, (n - 1) * (k - 1)
    ratio = (ss_cases / df_cases) / (ss_error / df_error)
    low = 1.0 - 1.0 / (ratio / f.isf(0.025, df_cases, df_error))
    high = 1.0 - 1.0 / (ratio * f.isf(0.025, df_error, df_cases))
    return float(1.0 - 1.0 / ratio), float(low), float(high)


def kish(weights: Floats) -> float:
    """Kish's effective n, (sum w)^2 / sum w^2."""
    return float(weights.sum() ** 2 / np.sum(weights**2))


def linearized_deff(indicator: Floats, weights: Floats) -> float:
    """Design effect of a weighted proportion: its with-replacement (linearized) variance
    n/(n-1) sum w^2 (y - p)^2 / (sum w)^2 over the simple random sampling p(1-p)/n."""
    n = indicator.size
    p = float(np.sum(weights * indicator) / weights.sum())
    variance = n / (n - 1) * np.sum(weights**2 * (indicator - p) ** 2) / weights.sum() ** 2
    return float(variance / (p * (1.0 - p) / n))


def kish_deff(indicator: Floats, weights: Floats) -> float:
    """Kish's design effect n / n_eff, the same for every proportion."""
    return indicator.size / kish(weights)


def rao_scott_mean_deff(
    groups: NDArray[np.int64],
    answers: NDArray[np.int64],
    w: Floats,
    deff: Callable[[Floats, Floats], float] = linearized_deff,
) -> float:
    """Rao & Scott (1984, eq. 4.4) mean generalized design effect of an r x c table:
    (r-1)(c-1) d = sum (1-p_ij) d_ij - sum (1-p_i.) d_i. - sum (1-p_.j) d_.j,
    with each d the design effect of that weighted cell or margin proportion."""
    rows, columns = int(groups.max()) + 1, int(answers.max()) + 1

    def term(indicator: NDArray[np.bool_]) -> float:
        y = indicator.astype(np.float64)
        return (1.0 - float(np.sum(w * y) / w.sum())) * deff(y, w)

    cells = sum(term((groups == i) & (answers == j)) for i in range(rows) for j in range(columns))
    margins = sum(term(groups == i) for i in range(rows))
    margins += sum(term(answers == j) for j in range(columns))
    return (cells - margins) / ((rows - 1) * (columns - 1))


def chi2_p(statistic: float, df: int) -> float:
    return float(chi2.sf(statistic, df))
