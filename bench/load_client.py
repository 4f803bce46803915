"""Respondents and API submitters against a running platform, and what happened to them.

A respondent is a browser without JavaScript: it opens its invitation link (or
the open link), agrees to the notice, answers the bundled MICROCASA HEI
questionnaire page by page with the CSRF field of each form, and submits; some
save on a page, close the browser and come back (with the invitation link again,
or with the open link's resume code). An API submitter posts complete responses
and, when its client times out, sends the same submission again with the same
``instance_id`` and a longer timeout.

Used by ``bench/load.py`` (hundreds at once) and by ``tests/reliability/test_load.py``
(a few dozen); who comes and what the database kept are in ``bench/load_fieldwork.py``.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.load_fieldwork import (
    FORM_ID,
    PROVISION,
    Respondent,
    Submitter,
    address,
    form_pages,
)

FORM = f"/s/{FORM_ID}"
REQUEST_TIMEOUT = 60.0  # a respondent's browser waits this long for any page
API_ATTEMPTS = 7  # first timeout, doubled each time, the last one REQUEST_TIMEOUT
MAX_REQUESTS = 80  # per respondent: a walk that loops is stopped, not endless

_TITLE = re.compile(r"<title>([^<]*)</title>")
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
_SHOWN = re.compile(r'name="_shown" value="([^"]*)"')
_CODE = re.compile(r'class="resume-code"><strong>([^<]+)</strong>')
_NEXT = re.compile(r'<a class="button" href="([^"]+)"')


# --- what happened -------------------------------------------------------------------


@dataclass
class Tally:
    """Every request by step: latency, status, transport failures, and what was acknowledged."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)  # "step: exception"
    unexpected: Counter[str] = field(default_factory=Counter)  # "step: status"
    samples: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    acknowledged_tokens: set[str] = field(default_factory=set)
    acknowledged_institutions: set[str] = field(default_factory=set)
    api_sent: set[str] = field(default_factory=set)
    api_acknowledged: set[str] = field(default_factory=set)
    api_retries: int = 0
    api_timeouts: int = 0
    api_found_on_retry: int = 0  # a retry answered 200: an attempt that timed out had stored it
    api_gave_up: int = 0
    walks_stopped: int = 0
    pages_again: int = 0  # pages shown again because a follow-up question appeared

    def record(self, step: str, seconds: float, status: int) -> None:
        self.requests += 1
        self.latencies.setdefault(step, []).append(seconds)
        self.statuses.setdefault(step, Counter())[status] += 1

    def fail(self, step: str, exc: BaseException) -> None:
        key = f"{step}: {type(exc).__name__}"
        self.failures[key] += 1
        self.samples.setdefault(key, repr(exc)[:300])

    def refuse(self, step: str, answer: httpx.Response) -> None:
        key = f"{step}: {answer.status_code}"
        self.unexpected[key] += 1
        title = _TITLE.search(answer.text)
        self.samples.setdefault(key, title.group(1) if title else answer.text[:300])

    def describe(self) -> str:
        """Statuses by step and one sample of each failure, for a person reading a report."""
        lines = [
            f"{step}: " + " ".join(f"{status}×{n}" for status, n in sorted(counts.items()) if n)
            for step, counts in self.statuses.items()
        ]
        lines += [f"{key} ×{n}" for key, n in (self.failures + self.unexpected).items()]
        lines += [
            f"  {key}: {' '.join(sample.split())[:200]}" for key, sample in self.samples.items()
        ]
        return "\n".join(lines)

    @property
    def server_errors(self) -> int:
        return sum(n for c in self.statuses.values() for s, n in c.items() if s >= 500)


class WalkStopped(Exception):
    """The platform answered what no browser expects here; this respondent gives up."""


class Browser:
    """One respondent's browser: its own cookies and connection, behind the reverse proxy."""

    def __init__(self, base_url: str, address: str, tally: Tally) -> None:
        self.base_url, self.address, self.tally = base_url, address, tally
        self.client = self._new_client()
        self.sent = 0

    def _new_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url,
            headers={"X-Forwarded-For": self.address},
            timeout=REQUEST_TIMEOUT,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            trust_env=False,  # loopback only: no proxy from the environment
        )

    async def send(
        self, step: str, method: str, path: str, expect: tuple[int, ...], **kwargs: Any
    ) -> httpx.Response:
        self.sent += 1
        if self.sent > MAX_REQUESTS:
            raise WalkStopped(f"more than {MAX_REQUESTS} requests")
        started = time.perf_counter()
        try:
            answer = await self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            self.tally.fail(step, exc)
            raise WalkStopped(step) from exc
        self.tally.record(step, time.perf_counter() - started, answer.status_code)
        if answer.status_code not in expect:
            self.tally.refuse(step, answer)
            raise WalkStopped(step)
        return answer

    async def post_form(
        self, step: str, path: str, page: str, fields: Mapping[str, Any], expect: tuple[int, ...]
    ) -> httpx.Response:
        """Post a form as the browser does: its fields and the CSRF field of the page it is on."""
        found = _CSRF.search(page)
        if found is None:
            raise WalkStopped(f"{step}: no CSRF field on the page")
        data = {**fields, "_csrf_token": found.group(1)}
        return await self.send(step, "POST", path, expect, data=data)

    async def restart(self) -> None:
        """Close the browser and open a new one: no cookies, a new connection."""
        await self.client.aclose()
        self.client = self._new_client()

    async def close(self) -> None:
        await self.client.aclose()


async def walk(
    person: Respondent, base_url: str, pages: Mapping[str, tuple[str, ...]], tally: Tally
) -> None:
    """One respondent from the link to the thank-you page; a failure is tallied, not raised."""
    browser = Browser(base_url, person.address, tally)
    try:
        location, code = await _begin(browser, person)
        location = await _answer_pages(browser, person, pages, location, code)
        # The platform has acknowledged the final submit: it sends the browser to its thanks.
        if person.token is None:
            tally.acknowledged_institutions.add(person.institution)
        else:
            tally.acknowledged_tokens.add(person.token)
        await browser.send("thanks", "GET", location, (200,))
    except WalkStopped:
        tally.walks_stopped += 1
    finally:
        await browser.close()


async def _begin(browser: Browser, person: Respondent) -> tuple[str, str]:
    """Link, notice and consent; the first page's address and the resume code (open link)."""
    if person.token is None:
        notice = await browser.send("notice", "GET", f"{FORM}?lang={person.language}", (200,))
        fields = {"consent": "yes", "language": person.language, "country": "MY"}
        fields["institution"] = person.institution
        shown = await browser.post_form("consent", f"{FORM}/consent", notice.text, fields, (201,))
        code, first = _CODE.search(shown.text), _NEXT.search(shown.text)
        if code is None or first is None:
            raise WalkStopped("consent: no resume code")
        return first.group(1).replace("&amp;", "&"), code.group(1)
    opened = await browser.send("open link", "GET", f"/i/{person.token}", (303,))
    notice = await browser.send("notice", "GET", opened.headers["location"], (200,))
    fields = {"consent": "yes", "language": person.language}
    agreed = await browser.post_form("consent", f"{FORM}/consent", notice.text, fields, (303,))
    started = await browser.send("start", "GET", agreed.headers["location"], (303,))
    return started.headers["location"], ""


async def _answer_pages(
    browser: Browser,
    person: Respondent,
    pages: Mapping[str, tuple[str, ...]],
    location: str,
    code: str,
) -> str:
    """Page after page until the platform sends the browser to the thank-you page."""
    last_page = list(pages)[-1]
    done = 0
    saved = False
    while not location.startswith(f"{FORM}/thanks"):
        path = location.split("?")[0]
        name = path.rsplit("/", 1)[-1]
        if not path.startswith(f"{FORM}/p/") or name not in pages:
            raise WalkStopped(f"sent to {location}")
        page = await browser.send("page", "GET", location, (200,))
        fields = {q: person.answers[q] for q in pages[name] if q in person.answers}
        if person.save_on_page == done and not saved:
            await browser.post_form("save", path, page.text, {**fields, "action": "save"}, (200,))
            await browser.restart()
            location = await _come_back(browser, person, code)
            saved = True
            continue
        step = "submit" if name == last_page else "answer"
        location = await _post_page(browser, step, path, page.text, fields)
        done += 1
    return location


async def _post_page(
    browser: Browser, step: str, path: str, page: str, fields: dict[str, Any]
) -> str:
    """Next (Submit on the last page); the address the platform sends the browser to."""
    fields["action"] = "next"
    for _ in range(3):  # without JavaScript, a follow-up question shows the page once more
        shown = _SHOWN.search(page)
        fields["_shown"] = shown.group(1) if shown else ""
        posted = await browser.post_form(step, path, page, fields, (200, 303))
        if posted.status_code == 303:
            return str(posted.headers["location"])
        browser.tally.pages_again += 1
        page = posted.text
    raise WalkStopped(f"{path}: shown again and again")


async def _come_back(browser: Browser, person: Respondent, code: str) -> str:
    """In a new browser: the invitation link again, or the resume code; the page to go on."""
    if person.token is not None:
        opened = await browser.send("resume", "GET", f"/i/{person.token}", (303,))
        start = opened.headers["location"]
    else:
        form = await browser.send("resume form", "GET", f"{FORM}/resume", (200,))
        fields = {"code": code, "language": person.language}
        posted = await browser.post_form("resume", f"{FORM}/resume", form.text, fields, (303,))
        start = posted.headers["location"]
    started = await browser.send("start", "GET", start, (303,))
    return str(started.headers["location"])


async def submit_all(
    robot: Submitter, base_url: str, staff_token: str, first_timeout: float, tally: Tally
) -> None:
    """Post complete responses; on a timeout, the same submission again with a longer one."""
    async with httpx.AsyncClient(base_url=base_url, trust_env=False) as client:
        for index in range(robot.submissions):
            instance = str(uuid.uuid4())
            tally.api_sent.add(instance)
            body = {
                "instance_id": instance,
                "language": "en",
                "country": "MY",
                "answers": PROVISION,
            }
            headers = {"Content-Type": "application/json"}
            headers["X-Forwarded-For"] = address(2, robot.number * 100 + index)
            if robot.tokens:
                headers["X-Invitation-Token"] = robot.tokens[index]
            else:
                headers["Authorization"] = f"Bearer {staff_token}"
            content = json.dumps(body).encode()
            await _submit_one(client, content, headers, instance, first_timeout, tally)


async def _submit_one(
    client: httpx.AsyncClient,
    content: bytes,
    headers: dict[str, str],
    instance: str,
    first_timeout: float,
    tally: Tally,
) -> None:
    path = f"/api/forms/{FORM_ID}/submissions"
    for attempt in range(API_ATTEMPTS):
        last = attempt == API_ATTEMPTS - 1
        timeout = REQUEST_TIMEOUT if last else min(first_timeout * 2**attempt, REQUEST_TIMEOUT)
        tally.api_retries += attempt > 0
        started = time.perf_counter()
        try:
            answer = await client.post(path, content=content, headers=headers, timeout=timeout)
        except httpx.TimeoutException:
            tally.api_timeouts += 1  # the client stops waiting; the server may still store it
            continue
        except httpx.HTTPError as exc:
            tally.fail("api submit", exc)
            continue
        tally.record("api submit", time.perf_counter() - started, answer.status_code)
        if answer.status_code in (200, 201):
            tally.api_acknowledged.add(instance)
            tally.api_found_on_retry += answer.status_code == 200 and attempt > 0
            return
        tally.refuse("api submit", answer)
        if answer.status_code < 500:
            return  # refused: sending it again would change nothing
        retry_after = answer.headers.get("retry-after", "1")
        await asyncio.sleep(min(5.0, float(retry_after)) if retry_after.isdigit() else 1.0)
    tally.api_gave_up += 1


async def run_load(
    base_url: str,
    people: list[Respondent],
    robots: list[Submitter],
    staff_token: str,
    first_timeout: float,
    tally: Tally,
) -> None:
    """Everyone at once: respondents walking and API submitters posting."""
    pages = form_pages()
    await asyncio.gather(
        *(walk(person, base_url, pages, tally) for person in people),
        *(submit_all(robot, base_url, staff_token, first_timeout, tally) for robot in robots),
    )
