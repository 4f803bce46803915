"""A table's numbers in words: cells, test line and footnotes, as every rendering shows them.

The analysis pages, a table's CSV and the exports all read these, so a p-value
or a percentage looks the same wherever a reader meets it.
"""

from __future__ import annotations

import math

from analysis.stats import NO_TEST, Interval, TestResult
from analysis.table_model import Summary, Table

# How a test's statistic is written in a footnote, by the test's name.
SYMBOLS = {
    "Pearson chi-square": "χ²",
    "Monte Carlo chi-square": "χ²",
    "Kruskal-Wallis": "H",
    "Mann-Whitney U": "U",
}
SUPPRESSED = "–"  # a hidden small count (and its share) in organiser-facing output


def number(value: float | None, digits: int = 1) -> str:
    """A decimal number with a fixed number of digits; "" when there is none."""
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:,.{digits}f}"


def percent(value: float | None) -> str:
    """A percentage (0–100) with one decimal: "45.2%"."""
    text = number(value, 1)
    return f"{text}%" if text else ""


def interval(ci: Interval | None, digits: int = 1) -> str:
    """A confidence interval as "38.1–52.4"; "" when there is none."""
    if ci is None:
        return ""
    return f"{number(ci.low, digits)}–{number(ci.high, digits)}"


def p_value(p: float | None) -> str:
    """A p- or q-value as a report states it: three decimals, "< 0.001" below that."""
    if p is None or not math.isfinite(p):
        return ""
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def describe_test(
    test: TestResult | None, q: float | None = None, family: int | None = None
) -> str:
    """The footnote that states a table's test, e.g.

    "Pearson chi-square: χ²(10) = 23.41, p = 0.009, q = 0.031 (Benjamini–Hochberg
    over 48 tests); Cramér's V = 0.15."
    """
    if test is None:
        return ""
    if test.name == NO_TEST:
        reason = test.warnings[-1] if test.warnings else "no test applies"
        return f"No test: {reason.rstrip('.')}."
    parts: list[str] = []
    if test.statistic is not None:
        symbol = SYMBOLS.get(test.name, "statistic")
        df = f"({test.df})" if test.df is not None else ""
        parts.append(f"{symbol}{df} = {number(test.statistic, 2)}")
    if test.p is not None:
        parts.append(f"p {p_value(test.p)}")
    if test.resamples:
        parts.append(f"{test.resamples:,} resamples, seed {test.seed}")
    if q is not None:
        over = f" (Benjamini–Hochberg over {family} tests)" if family else ""
        parts.append(f"q {p_value(q)}{over}")
    line = f"{test.name}: " + ", ".join(parts)
    if test.effect is not None:
        line += f"; {test.effect.name} = {number(test.effect.value, 2)}"
    return line + "."


def count(value: int | None) -> str:
    """A count; the suppression mark when it is hidden."""
    return SUPPRESSED if value is None else f"{value:,}"


def summary_lines(summary: Summary) -> dict[str, str]:
    """The summary rows of one column, by row name (empty where they do not apply)."""
    mean = number(summary.mean, 2)
    if mean and summary.mean_ci is not None:
        mean += f" ({interval(summary.mean_ci, 2)})"
    quartiles = ""
    if summary.q1 is not None and summary.q3 is not None:
        quartiles = f"{number(summary.q1, 1)}–{number(summary.q3, 1)}"
    top = percent(summary.top_box)
    if top and summary.top_box_ci is not None:
        top += f" ({interval(summary.top_box_ci)})"
    return {
        "Median": number(summary.median, 1),
        "Quartiles (Q1–Q3)": quartiles,
        "Mean (95% CI)": mean,
        "SD": number(summary.sd, 2),
        "Top-2-box (95% CI)": top,
    }


def footnotes(table: Table) -> tuple[str, ...]:
    """Every footnote of a table, in reading order: base, test, letters, warnings, notes."""
    lines = []
    base = "Base: respondents with a valid answer"
    if table.kind == "multiple":
        base = "Base: respondents who answered the question; an option's share is of that base"
    weighting = "" if table.weighting == "unweighted" else f"; weighted ({table.weighting})"
    lines.append(base + weighting + ".")
    if table.test is not None:
        lines.append(describe_test(table.test, table.q, table.q_family))
    for option in table.options:
        if option.test is not None and option.test.name != NO_TEST:
            holm = f", Holm-adjusted p {p_value(option.p_holm)}" if option.p_holm else ""
            lines.append(f"{option.label}: {describe_test(option.test).rstrip('.')}{holm}.")
    if table.letters:
        lines.append(
            "Columns sharing a letter do not differ (Dunn's test, Holm-adjusted, 5% level)."
        )
    if any(row.flags for row in table.rows):
        lines.append(
            "+ / − : more / fewer answers than independence expects (adjusted residual "
            "beyond ±1.96)."
        )
    lines.extend(table.warnings)
    lines.extend(table.notes)
    return tuple(dict.fromkeys(line for line in lines if line))
