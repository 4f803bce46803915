"""What every browser test module shares: the tools it needs, and axe-core on a page.

A module calls :func:`require_tools` before importing Playwright: without Chromium,
Playwright or axe-core the module is skipped, or fails under ``CI``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package: Playwright's own builds are never used
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AxeReport = list[tuple[str, list[dict[str, Any]]]]


def missing() -> str:
    """What the browser tests need and this machine lacks ('' when nothing)."""
    problems = []
    if not CHROMIUM.exists():
        problems.append(f"{CHROMIUM} (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        problems.append('the Python package playwright (pip install -e ".[test]")')
    if not AXE.exists():
        problems.append(f"{AXE} (npm ci in tests/browser)")
    return "; ".join(problems)


def require_tools() -> None:
    """Skip the calling module when a tool is missing; under CI, fail instead."""
    lacking = missing()
    if not lacking:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI runs the browser tests, but this is missing: {lacking}", pytrace=False)
    pytest.skip(f"the browser tests need: {lacking}", allow_module_level=True)


def run_axe(page: Page, label: str, report: AxeReport) -> None:
    """axe-core's WCAG 2 A/AA rules on the page: no serious or critical violation."""
    page.add_script_tag(path=str(AXE))
    outcome = page.evaluate(
        """async (tags) => {
          const result = await axe.run(document, {
            runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
          });
          return {
            passes: result.passes.length,
            violations: result.violations.map((v) => ({
              id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.slice(0, 4).map((n) => n.target.join(' ')),
            })),
          };
        }""",
        AXE_TAGS,
    )
    assert outcome["passes"] >= 5, f"axe checked next to nothing on the {label}"
    violations = outcome["violations"]
    report.append((label, violations))
    grave = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert grave == [], f"axe on the {label}: {grave}"
