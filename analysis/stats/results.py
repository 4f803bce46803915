"""Result records shared by every test in the statistics layer.

They are frozen so that a table or a report can hold them, compare them and
hash them without a later step quietly changing a number that was already shown.
Values are plain Python floats (not numpy scalars) so that renderers and JSON
serialisation see ordinary numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

PEARSON_CHI_SQUARE = "Pearson chi-square"
FISHER_EXACT = "Fisher exact"
MONTE_CARLO_CHI_SQUARE = "Monte Carlo chi-square"
KRUSKAL_WALLIS = "Kruskal-Wallis"
MANN_WHITNEY = "Mann-Whitney U"
NO_TEST = "no test"


@dataclass(frozen=True, slots=True)
class Interval:
    """A confidence interval; both bounds on the scale of the estimate."""

    low: float
    high: float

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True, slots=True)
class Effect:
    """An effect size, named as it appears in a footnote (e.g. "Cramér's V")."""

    name: str
    value: float


@dataclass(frozen=True, slots=True)
class TestResult:
    """One significance test as a report footnote states it.

    ``statistic``, ``df`` and ``p`` are None where the test has none (``df`` of an
    exact or simulated p; everything when ``name`` is "no test"). ``seed`` and
    ``resamples`` are set only for Monte Carlo p-values, so that the method notes
    can say how to reproduce them. ``warnings`` are sentences for the reader.
    """

    # pytest would otherwise try to collect this class from test modules that import it.
    __test__: ClassVar[bool] = False

    name: str
    statistic: float | None
    df: int | None
    p: float | None
    effect: Effect | None
    n: int
    warnings: tuple[str, ...] = ()
    seed: int | None = None
    resamples: int | None = None


def no_test(reason: str, n: int, warnings: tuple[str, ...] = ()) -> TestResult:
    """The result for data that cannot be tested: the reason is the last warning."""
    return TestResult(
        name=NO_TEST,
        statistic=None,
        df=None,
        p=None,
        effect=None,
        n=n,
        warnings=(*warnings, reason),
    )
