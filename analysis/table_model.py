"""What a comparative table holds: immutable records that renderers read and nothing changes.

:mod:`analysis.tables` builds them from a frame; :func:`suppress` derives the
organiser-facing copy in which small counts are hidden.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

from analysis.stats import Interval, TestResult

TOTAL = "Total"
LOW_BASE = 30  # a column whose valid N is below this is flagged
SUPPRESS_BELOW = 5
ABOVE, BELOW = "+", "−"  # residual flags: more / fewer than independence expects
UNWEIGHTED = "unweighted"

K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R", bound="Row")


def frozen_map(items: Mapping[K, V] | None = None) -> Mapping[K, V]:
    """A read-only mapping (a table must not change once built)."""
    return MappingProxyType(dict(items or {}))


@dataclass(frozen=True)
class Row:
    """One answer (or option) of a table: counts, column % of the valid N and its Wilson CI.

    A user-missing row ("don't know") has counts only: ``percent`` and ``ci`` are None.
    ``flags`` holds "+" or "−" for the groups whose cell's adjusted residual exceeds 1.96.
    In a suppressed copy, hidden counts (with their percent and CI) are None.
    """

    value: str
    label: str
    missing: bool
    counts: Mapping[str, int | None]
    percent: Mapping[str, float | None]  # 0–100
    ci: Mapping[str, Interval | None]  # in percent
    flags: Mapping[str, str] = field(default_factory=frozen_map)


@dataclass(frozen=True)
class OptionRow(Row):
    """One option of a select-multiple question, with its own group × (picked, not) test.

    ``p_holm`` is the test's p adjusted by Holm across the question's options.
    """

    test: TestResult | None = None
    p_holm: float | None = None


@dataclass(frozen=True)
class Summary:
    """One column's summary of a Likert item or a numeric question (valid answers only).

    ``top_box`` (Likert only) is the percent choosing one of the ``top`` scale points,
    with its Wilson CI in percent; None for numeric questions or when n is 0.
    """

    n: int
    mean: float | None
    sd: float | None
    median: float | None
    q1: float | None
    q3: float | None
    mean_ci: Interval | None
    top: tuple[float, ...] = ()
    top_box_n: int | None = None
    top_box: float | None = None
    top_box_ci: Interval | None = None

    @property
    def iqr(self) -> float | None:
        return None if self.q1 is None or self.q3 is None else self.q3 - self.q1


@dataclass(frozen=True)
class Table:
    """A question by a grouping (countries by default), plus a Total column.

    ``groups`` ends with "Total", which pools every group (unweighted, or under the
    weights' pooling rule: ``weighting`` names it). ``n_base``
    counts respondents who gave any answer, user-missing included; ``n_valid``
    those who gave a valid one, the base of every percentage. ``warnings`` are
    sentences for footnotes (the test's own warnings included); ``notes`` say how
    the base was chosen (a filter, suppression). In a weighted table, percentages
    and CIs are weighted (Wilson on ``effective_n``), counts and N stay unweighted.
    """

    question: str
    label: str
    kind: str  # categorical | likert | multiple | numeric
    by: str
    groups: tuple[str, ...]
    group_labels: Mapping[str, str]
    n_valid: Mapping[str, int]
    n_base: Mapping[str, int]
    rows: tuple[Row, ...]
    summary: Mapping[str, Summary] = field(default_factory=frozen_map)
    test: TestResult | None = None
    q: float | None = None  # BH q-value across the report's family (build_tables)
    q_family: int | None = None  # how many tests that family holds
    letters: Mapping[str, str] = field(default_factory=frozen_map)
    low_base: tuple[str, ...] = ()
    options: tuple[OptionRow, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    weighting: str = UNWEIGHTED
    suppressed_below: int | None = None
    effective_n: Mapping[str, float] | None = None  # Kish n_eff of the valid base, if weighted
    suppressed_primary: int = 0  # cells hidden below the threshold (suppressed copies)
    suppressed_complementary: int = 0  # cells hidden so that those cannot be derived

    @property
    def p(self) -> float | None:
        """The p-value that enters the report's family of tests.

        The main test's p; for a select-multiple question, which has one test per
        option, the smallest Holm-adjusted option p (a test of "no option differs
        between groups" that keeps the family-wise error rate).
        """
        if self.test is not None:
            return self.test.p
        adjusted = [option.p_holm for option in self.options if option.p_holm is not None]
        return min(adjusted) if adjusted else None


def suppress(table: Table, threshold: int = SUPPRESS_BELOW) -> Table:
    """A copy for organiser-facing output: counts from 1 to threshold − 1 become None, and
    enough other counts that none of them can be worked out by subtraction (complementary
    suppression; the rules are in :mod:`analysis.suppression`).

    Their percent, CI and flags go too, and Likert summaries that would give a hidden
    count away. Zero counts, N, bases and tests stay.
    """
    from analysis.suppression import suppress_table  # it builds on the records above

    return suppress_table(table, threshold)
