"""Browser tests: the real server in a subprocess, driven by Debian's Chromium through Playwright.

The database is prepared in this process (migrated, the bundled questionnaire
published with its open link on, invitations issued for Indonesian institutions),
then ``microcasa serve`` runs on it on a free port. One Chromium serves every
test; each test opens its own browser contexts (cookie jars).

The browser itself (Debian's ``/usr/bin/chromium``, never a downloaded build) is
launched in test_respondent_browser.py, which also skips, or under ``CI`` fails,
when Chromium, Playwright or axe-core (``npm ci`` in tests/browser) is missing.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

import microcasa.app  # noqa: F401 - every model's table, for the foreign keys
from microcasa import schema
from microcasa.auth import service
from microcasa.db import Database
from microcasa.settings import load_settings
from policy_matrix.service import load_bundled
from survey import invitations, versions
from survey.demo import publish_bundled_form
from survey.models import Questionnaire
from tests.conftest import postgres_schema_url

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "images"
SECRET = "browser-test-secret-key-that-is-long-enough-for-production"
PG_URL = os.environ.get("MICROCASA_TEST_DATABASE_URL", "")
STAFF_PASSWORD = "browser tests sign in with this passphrase"
STAFF = (
    ("researcher@example.org", "researcher", None),
    ("coordinator.my@example.org", "coordinator", "MY"),
)
INVITEES = (
    "name,country,type,contact_email,language\n"
    + "\n".join(f"Universitas Contoh {n},ID,public,rektor{n}@contoh.ac.id,id" for n in range(1, 7))
    + "\n"
).encode()
# A form error (422) or an unusable link (404) is an answer the tests ask for, not a fault.
EXPECTED_4XX = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")
# Records every Content-Security-Policy violation of a page, before any of its own scripts run.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
});
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def browser_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database for the server: a SQLite file, or a fresh PostgreSQL schema."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'microcasa.db'}"
        return
    name = "b_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield postgres_schema_url(PG_URL, name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def _prepare(database_url: str) -> list[str]:
    """Migrate, publish the bundled form with its open link on, invite, load the bundled
    policy matrix and add the staff accounts; the invitation tokens."""
    settings = load_settings(database_url=database_url, secret_key=SECRET, env="test")
    database = Database(settings)
    try:
        schema.upgrade(database)
        with database.transaction() as session:
            version = publish_bundled_form(session)
            questionnaire = session.get(Questionnaire, version.questionnaire_id)
            assert questionnaire is not None
            questionnaire.open_link = True
            session.add(questionnaire)
            rows = invitations.read_invitee_file(
                INVITEES, "invitees.csv", versions.form_of(version)
            )
            result = invitations.invite(
                session, settings.resolved_secret_key(), questionnaire, rows
            )
            load_bundled(session)
            for email, role, country in STAFF:
                service.create_user(
                    session, email=email, password=STAFF_PASSWORD, role=role, country=country
                )
            return [link.token for link in result.issued]
    finally:
        database.dispose()


@dataclass
class Server:
    base_url: str
    log: Path
    tokens: list[str]
    used: int = 0

    def url(self, path: str) -> str:
        return self.base_url + path

    def invitation(self) -> str:
        """A fresh invitation token (each test answers through its own)."""
        token = self.tokens[self.used]
        self.used += 1
        return token

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def server(browser_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``microcasa serve`` on a free port, on a prepared database; stopped afterwards."""
    tokens = _prepare(browser_database_url)
    port = _free_port()
    folder = tmp_path_factory.mktemp("browser-server")
    log = folder / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROCASA_")}
    env.update(
        MICROCASA_DATABASE_URL=browser_database_url,
        MICROCASA_SECRET_KEY=SECRET,
        MICROCASA_ENV="test",
        MICROCASA_BASE_URL=f"http://127.0.0.1:{port}",
        MICROCASA_LOG_LEVEL="warning",
    )
    executable = Path(sys.executable).with_name("microcasa")
    command = [str(executable), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=folder, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    served = Server(f"http://127.0.0.1:{port}", log, tokens)
    try:
        _wait_until_up(served, process)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
    problems = [
        line for line in served.log_text().splitlines() if "Traceback" in line or " 500 " in line
    ]
    assert not problems, "the server logged errors:\n" + served.log_text()[-4000:]


def _wait_until_up(served: Server, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"microcasa serve exited with {process.returncode}:\n{served.log_text()}")
        try:
            with urllib.request.urlopen(served.url("/healthz"), timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"microcasa serve did not answer within 60 s:\n{served.log_text()}")


@dataclass
class Watch:
    """What went wrong in the pages a test opened: CSP reports, console errors, 5xx answers."""

    csp: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    contexts: list[Any] = field(default_factory=list)

    def attach(self, context: Any) -> Any:
        context.add_init_script(CSP_WATCH)
        context.on("console", self._console)
        context.on("response", self._response)
        self.contexts.append(context)
        return context

    def _console(self, message: Any) -> None:
        if message.type == "error" and not EXPECTED_4XX.match(message.text):
            entry = f"{message.text} ({message.location.get('url', '')})"
            self.console_errors.append(entry)
            if "Content Security Policy" in message.text:
                self.csp.append(entry)

    def _response(self, response: Any) -> None:
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.request.method} {response.url}")

    def collect_page(self, page: Any) -> None:
        """Add the violations the page itself saw (call before leaving a page, JS on only)."""
        if not page.is_closed():
            self.csp.extend(page.evaluate("window.__cspViolations || []"))


# The session's one Chromium, ``browser``, is in tests/conftest.py: a single definition, so
# that every package using it (tests/security too) shares one Playwright, which keeps an
# event loop running in this thread while it lives and cannot be started twice.


@pytest.fixture
def watch() -> Iterator[Watch]:
    seen = Watch()
    yield seen
    for context in seen.contexts:
        context.close()


@pytest.fixture
def new_context(browser: Any, watch: Watch) -> Callable[..., Any]:
    """A new browser context (cookie jar) on the server, watched for CSP and server errors."""

    def make(**options: Any) -> Any:
        options.setdefault("locale", "en-US")
        options.setdefault("viewport", {"width": 1280, "height": 900})
        return watch.attach(browser.new_context(**options))

    return make


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """docs/images with MICROCASA_SCREENSHOTS=1 (refreshes the guide's pictures), else tmp."""
    if os.environ.get("MICROCASA_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path


AXE_REPORT: list[tuple[str, list[dict[str, Any]]]] = []


@pytest.fixture
def axe_report() -> list[tuple[str, list[dict[str, Any]]]]:
    """Where the tests put what axe found on each page; shown at the end of the run."""
    return AXE_REPORT


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not AXE_REPORT:
        return
    terminalreporter.section("axe-core (WCAG 2 A/AA) on the respondent pages")
    for label, violations in AXE_REPORT:
        if not violations:
            terminalreporter.write_line(f"{label}: no violations")
        for v in violations:
            nodes = ", ".join(v["nodes"])
            terminalreporter.write_line(f"{label}: {v['impact']} {v['id']}: {v['help']} [{nodes}]")


def sign_in(page: Any, server: Server, email: str) -> None:
    """Sign a staff account in through the login page (every account has STAFF_PASSWORD)."""
    from playwright.sync_api import expect

    page.goto(server.url("/login"))
    page.fill("#email", email)
    page.fill("#password", STAFF_PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login"))
