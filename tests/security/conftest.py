"""Attack tests: each area's tally is printed at the end of the run."""

from __future__ import annotations

from typing import Any

from tests.security.support import TALLIES


def pytest_terminal_summary(terminalreporter: Any) -> None:
    tried = [found for found in TALLIES.values() if found.tried]
    if not tried:
        return
    terminalreporter.section("attack corpora (SECURITY.md test plan)")
    for found in tried:
        terminalreporter.write_line(found.line())


# The browser tests' server (tests/browser/conftest.py), for the canary test here; the
# session's Chromium (``browser``) comes from tests/conftest.py.
from tests.browser.conftest import (  # noqa: E402, F401
    browser_database_url,
    new_context,
    server,
    watch,
)
