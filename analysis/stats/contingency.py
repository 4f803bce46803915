"""Single choice × group: the test of independence, Cramér's V and the cells that drive it.

The test is chosen automatically, so that a table never shows a chi-square p the
approximation cannot support:

1. Pearson chi-square without Yates' correction when no expected count is below 1
   and at most 20% of the cells have an expected count below 5 (Cochran's rule,
   as SPSS and R's ``chisq.test`` warn about it);
2. otherwise Fisher's exact test for a 2×2 table;
3. otherwise a Monte Carlo p: tables with the observed margins are drawn with a
   seeded generator and their chi-square statistics compared with the observed
   one, as R's ``chisq.test(simulate.p.value = TRUE)`` does.

Counts must be unweighted: weighted counts need a Rao-Scott corrected test, so a
non-integer count is refused rather than silently tested.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import chi2_contingency, fisher_exact, random_table

from analysis.stats.results import (
    FISHER_EXACT,
    MONTE_CARLO_CHI_SQUARE,
    PEARSON_CHI_SQUARE,
    Effect,
    TestResult,
    no_test,
)

CRAMERS_V = "Cramér's V"
RESIDUAL_CRITICAL = 1.96
# R compares simulated statistics with 1 − 64ε times the observed one, so that a
# simulated table equal to the observed one counts as "at least as extreme" even
# when the two sums were rounded differently.
_ALMOST_ONE = 1.0 - 64 * np.finfo(np.float64).eps
# Simulated tables are drawn in chunks of at most this many cells, so memory stays
# bounded for large tables and many resamples; the chunking depends only on the
# table's shape and the number of resamples, so results stay reproducible.
_CELLS_PER_CHUNK = 4_000_000


def counts_table(table: ArrayLike) -> NDArray[np.int64]:
    """The table as a 2-D array of non-negative integer counts, or ValueError."""
    array = np.asarray(table)
    if array.ndim != 2:
        raise ValueError(f"a contingency table has two dimensions, got {array.ndim}")
    if array.dtype.kind not in "iub":
        if array.dtype.kind != "f" or not np.all(np.isfinite(array)):
            raise ValueError("table counts must be finite numbers")
        if not np.array_equal(array, np.round(array)):
            raise ValueError(
                "table counts must be whole numbers; weighted counts need a Rao-Scott test"
            )
    counts = array.astype(np.int64)
    if np.any(counts < 0):
        raise ValueError("table counts cannot be negative")
    return counts


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _percent(part: int, whole: int) -> str:
    # Half up, as readers round: 1 cell of 8 is "13%", not the banker's "12%".
    return f"{int(100 * part / whole + 0.5)}%"


def _dropped(kind: str, empty: NDArray[np.bool_], labels: Sequence[str] | None) -> str | None:
    positions = [int(position) for position in np.flatnonzero(empty)]
    if not positions:
        return None
    if labels is None:
        names = ", ".join(str(position + 1) for position in positions)
    else:
        names = ", ".join(str(labels[position]) for position in positions)
    word = kind if len(positions) == 1 else f"{kind}s"
    return f"dropped {_plural(len(positions), 'empty ' + kind)} before testing ({word} {names})"


def _without_empty_margins(
    counts: NDArray[np.int64],
    row_labels: Sequence[str] | None,
    column_labels: Sequence[str] | None,
) -> tuple[NDArray[np.int64], list[str]]:
    empty_rows = counts.sum(axis=1) == 0
    empty_columns = counts.sum(axis=0) == 0
    notes = [
        note
        for note in (
            _dropped("row", empty_rows, row_labels),
            _dropped("column", empty_columns, column_labels),
        )
        if note is not None
    ]
    return counts[~empty_rows][:, ~empty_columns], notes


def expected_counts(counts: NDArray[np.int64]) -> NDArray[np.float64]:
    """Expected counts under independence: row total × column total / n."""
    rows = counts.sum(axis=1, dtype=np.float64)
    columns = counts.sum(axis=0, dtype=np.float64)
    expected: NDArray[np.float64] = np.outer(rows, columns) / counts.sum()
    return expected


def chi_square_is_reliable(expected: NDArray[np.float64]) -> bool:
    """Cochran's rule: no expected count below 1 and at most 20% of cells below 5."""
    below_five = int(np.count_nonzero(expected < 5.0))
    # Integer arithmetic, so that exactly 20% is accepted without rounding doubt.
    return bool(expected.min() >= 1.0) and 5 * below_five <= expected.size


def _expected_count_warning(expected: NDArray[np.float64]) -> str | None:
    below_five = int(np.count_nonzero(expected < 5.0))
    if below_five == 0:
        return None
    below_one = int(np.count_nonzero(expected < 1.0))
    verb = "has" if below_five == 1 else "have"
    of_them = f", {below_one} of them below 1" if below_one else ""
    return (
        f"{_plural(below_five, 'cell')} ({_percent(below_five, expected.size)}) {verb} "
        f"expected count below 5{of_them}; minimum expected count {expected.min():.2f}"
    )


def _chi_square_statistics(
    tables: NDArray[np.int64], expected: NDArray[np.float64]
) -> NDArray[np.float64]:
    difference = tables - expected
    statistics: NDArray[np.float64] = np.sum(difference * difference / expected, axis=(-2, -1))
    return statistics


def monte_carlo_p(counts: NDArray[np.int64], seed: int, resamples: int) -> tuple[float, float]:
    """Observed chi-square and its Monte Carlo p over tables with the same margins.

    p = (1 + number of simulated statistics ≥ observed) / (resamples + 1), which is
    never 0 and is what R's ``chisq.test(simulate.p.value = TRUE)`` reports.
    """
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    expected = expected_counts(counts)
    observed = float(_chi_square_statistics(counts, expected))
    distribution = random_table(
        counts.sum(axis=1), counts.sum(axis=0), seed=np.random.default_rng(seed)
    )
    chunk = max(1, _CELLS_PER_CHUNK // counts.size)
    at_least_as_extreme = 0
    for start in range(0, resamples, chunk):
        tables = distribution.rvs(min(chunk, resamples - start), method="patefield")
        simulated = _chi_square_statistics(tables, expected)
        at_least_as_extreme += int(np.count_nonzero(simulated >= observed * _ALMOST_ONE))
    return observed, (at_least_as_extreme + 1) / (resamples + 1)


def _cramers_v(statistic: float, n: int, shape: tuple[int, ...]) -> Effect:
    return Effect(CRAMERS_V, float(np.sqrt(statistic / (n * (min(shape) - 1)))))


def categorical_test(
    table: ArrayLike,
    seed: int,
    resamples: int = 10_000,
    *,
    row_labels: Sequence[str] | None = None,
    column_labels: Sequence[str] | None = None,
) -> TestResult:
    """Test independence in a table of counts, choosing the test by the expected counts.

    All-zero rows and columns are dropped first (and named in the warnings, by
    label when labels are given, else by 1-based position). A table left with
    fewer than two rows or columns gives a "no test" result instead of an error.
    ``seed`` and ``resamples`` are used only when the Monte Carlo p is chosen.
    """
    counts = counts_table(table)
    for labels, size, kind in (
        (row_labels, counts.shape[0], "row"),
        (column_labels, counts.shape[1], "column"),
    ):
        if labels is not None and len(labels) != size:
            raise ValueError(f"{len(labels)} {kind} labels for {size} {kind}s")
    n = int(counts.sum())
    tested, notes = _without_empty_margins(counts, row_labels, column_labels)
    rows, columns = tested.shape
    if n == 0:
        return no_test("no test: the table has no responses", n)
    if rows < 2 or columns < 2:
        return no_test(
            f"no test: only {_plural(rows, 'row')} and {_plural(columns, 'column')} "
            "have responses; a test needs at least two of each",
            n,
            tuple(notes),
        )
    expected = expected_counts(tested)
    warning = _expected_count_warning(expected)
    if warning is not None:
        notes.append(warning)
    if chi_square_is_reliable(expected):
        pearson = chi2_contingency(tested, correction=False)
        statistic = float(pearson.statistic)
        return TestResult(
            name=PEARSON_CHI_SQUARE,
            statistic=statistic,
            df=int(pearson.dof),
            p=float(pearson.pvalue),
            effect=_cramers_v(statistic, n, tested.shape),
            n=n,
            warnings=tuple(notes),
        )
    if tested.shape == (2, 2):
        statistic = float(_chi_square_statistics(tested, expected))
        return TestResult(
            name=FISHER_EXACT,
            statistic=None,
            df=None,
            p=float(fisher_exact(tested).pvalue),
            effect=_cramers_v(statistic, n, tested.shape),
            n=n,
            warnings=tuple(notes),
        )
    statistic, p = monte_carlo_p(tested, seed, resamples)
    return TestResult(
        name=MONTE_CARLO_CHI_SQUARE,
        statistic=statistic,
        df=None,
        p=p,
        effect=_cramers_v(statistic, n, tested.shape),
        n=n,
        warnings=tuple(notes),
        seed=seed,
        resamples=resamples,
    )


def adjusted_residuals(table: ArrayLike) -> NDArray[np.float64]:
    """Adjusted standardized residuals (Agresti): (O − E) / √(E·(1 − row p)·(1 − column p)).

    Under independence each is approximately standard normal, so |z| > 1.96 marks a
    cell that departs from independence. Cells in an all-zero row or column, or in
    a table with a single non-empty row or column, have no residual: NaN.
    """
    counts = counts_table(table)
    n = counts.sum()
    if n == 0:
        return np.full(counts.shape, np.nan)
    row_share = counts.sum(axis=1) / n
    column_share = counts.sum(axis=0) / n
    expected = np.outer(row_share, column_share) * n
    variance = expected * np.outer(1.0 - row_share, 1.0 - column_share)
    with np.errstate(divide="ignore", invalid="ignore"):
        residuals: NDArray[np.float64] = np.where(
            variance > 0, (counts - expected) / np.sqrt(variance), np.nan
        )
    return residuals


def flag_residuals(
    residuals: NDArray[np.float64], critical: float = RESIDUAL_CRITICAL
) -> NDArray[np.bool_]:
    """Cells whose adjusted residual exceeds ``critical`` in absolute value (NaN: not flagged)."""
    flagged: NDArray[np.bool_] = np.abs(residuals) > critical
    return flagged
