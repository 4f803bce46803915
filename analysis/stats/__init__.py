"""The statistics layer of the comparative tables: pure functions on counts and values.

Every function takes plain inputs (sequences, numpy arrays, counts), returns a
frozen result and has no side effects; the only randomness is the Monte Carlo p
of ``categorical_test``, driven by an explicit seed that the result reports.
Each module's docstring says which test is used where, and why.
"""

from analysis.stats.contingency import (
    CRAMERS_V,
    RESIDUAL_CRITICAL,
    adjusted_residuals,
    categorical_test,
    flag_residuals,
)
from analysis.stats.multiplicity import benjamini_hochberg, holm
from analysis.stats.posthoc import (
    DUNN_HOLM,
    PairwiseComparison,
    PairwiseTest,
    compact_letters,
    dunn_holm,
)
from analysis.stats.proportions import clopper_pearson, jeffreys, wilson
from analysis.stats.ranks import EPSILON_SQUARED, RANK_BISERIAL, kruskal_wallis, mann_whitney
from analysis.stats.reliability import Reliability, cronbach_alpha
from analysis.stats.results import (
    FISHER_EXACT,
    KRUSKAL_WALLIS,
    MANN_WHITNEY,
    MONTE_CARLO_CHI_SQUARE,
    NO_TEST,
    PEARSON_CHI_SQUARE,
    Effect,
    Interval,
    TestResult,
)
from analysis.stats.summaries import LikertSummary, NumericSummary, likert_summary, numeric_summary

__all__ = [
    "CRAMERS_V",
    "DUNN_HOLM",
    "EPSILON_SQUARED",
    "FISHER_EXACT",
    "KRUSKAL_WALLIS",
    "MANN_WHITNEY",
    "MONTE_CARLO_CHI_SQUARE",
    "NO_TEST",
    "PEARSON_CHI_SQUARE",
    "RANK_BISERIAL",
    "RESIDUAL_CRITICAL",
    "Effect",
    "Interval",
    "LikertSummary",
    "NumericSummary",
    "PairwiseComparison",
    "PairwiseTest",
    "Reliability",
    "TestResult",
    "adjusted_residuals",
    "benjamini_hochberg",
    "categorical_test",
    "clopper_pearson",
    "compact_letters",
    "cronbach_alpha",
    "dunn_holm",
    "flag_residuals",
    "holm",
    "jeffreys",
    "kruskal_wallis",
    "likert_summary",
    "mann_whitney",
    "numeric_summary",
    "wilson",
]
