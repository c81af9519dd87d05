"""Browser fixtures: Debian's Chromium driven by Playwright against the live server, with axe on every page.

Playwright's sync API runs an event loop in the test thread, so the ORM calls the tests make there rely on
DJANGO_ALLOW_ASYNC_UNSAFE, which config.settings.test sets. The live server is a thread of this process:
it shares the database connection settings, django.conf.settings and the locmem mail outbox.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.factories import PASSWORD

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Impacts that fail the journey; "moderate" and "minor" are recorded but do not fail it.
FAILING_IMPACTS = frozenset({"serious", "critical"})
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _totp_tolerance(settings: Any) -> None:
    # The test computes a code moments before the server checks it; across a 30-second boundary the
    # server's step has moved on. One step of tolerance removes that race without sleeping.
    settings.MFA_TOTP_TOLERANCE = 1


@dataclass
class PageAudit:
    url: str
    label: str
    violations: list[dict[str, Any]]

    @property
    def failing(self) -> list[dict[str, Any]]:
        return [violation for violation in self.violations if violation.get("impact") in FAILING_IMPACTS]


@dataclass
class AxeAudit:
    """Runs axe-core on each page state the journey reaches and keeps every result."""

    record_property: Callable[[str, object], None]
    axe: Axe = field(default_factory=Axe)
    pages: list[PageAudit] = field(default_factory=list)

    def check(self, page: Page, label: str) -> PageAudit:
        page.wait_for_load_state("load")
        result = self.axe.run(page)
        audit = PageAudit(url=page.url, label=label, violations=list(result.response["violations"]))
        self.pages.append(audit)
        summary = ", ".join(f"{v['id']}({v.get('impact')})" for v in audit.violations) or "none"
        self.record_property(f"axe {len(self.pages):02d} {label}", f"{audit.url} violations: {summary}")
        return audit

    def failures(self) -> list[str]:
        lines = []
        for audit in self.pages:
            for violation in audit.failing:
                nodes = violation.get("nodes") or [{}]
                target = nodes[0].get("target", ["?"])
                lines.append(
                    f"{audit.label} {audit.url}: {violation['id']} ({violation['impact']}) at {target} "
                    f"[{len(nodes)} node(s)] {violation.get('help', '')}"
                )
        return lines


@pytest.fixture
def axe_audit(record_property: Callable[[str, object], None]) -> AxeAudit:
    return AxeAudit(record_property=record_property)


@dataclass
class PageProblems:
    """JavaScript errors and failed responses seen by any page the test opens."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.errors.append(f"JavaScript error on {page.url}: {error}"))
        page.on("response", self._response)

    def _response(self, response: Any) -> None:
        # Chromium asks for /favicon.ico on its own; the site declares none, and that is not a page problem.
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.errors.append(f"HTTP {response.status} for {response.request.method} {response.url}")


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def open_page(
    request: pytest.FixtureRequest, browser: Browser, live_server: Any, page_problems: PageProblems, tmp_path: Path
) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh context (its own cookies): a phone for the public, a desktop for staff.

    When the test fails, each page's screenshot and HTML are saved under the test's tmp_path.
    """
    contexts: list[BrowserContext] = []
    expect.set_options(timeout=TIMEOUT_MS)

    def make(*, phone: bool) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            viewport=PHONE if phone else DESKTOP,
            is_mobile=phone,
            has_touch=phone,
            locale="en-ZA",
            timezone_id="Africa/Johannesburg",
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page_problems.watch(page)
        return page

    yield make
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        for number, context in enumerate(contexts, start=1):
            for page in context.pages:
                page.screenshot(path=tmp_path / f"page-{number}.png", full_page=True)
                (tmp_path / f"page-{number}.html").write_text(page.content())
        report.sections.append(("browser pages", f"screenshots and HTML saved in {tmp_path}"))
    for context in contexts:
        context.close()


def totp_code(secret: str) -> str:
    """The authenticator app's current code: computed from the clock, as the app does."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def staff_sign_in(page: Page, user: Any, axe_audit: AxeAudit) -> None:
    """Sign in with email and password, then the authenticator code allauth asks for."""
    page.goto("/accounts/login/")
    axe_audit.check(page, "sign in")
    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    axe_audit.check(page, "authenticator code")
    page.get_by_label("Code", exact=True).fill(totp_code(user.totp_secret))
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()
    expect(page.get_by_role("link", name="Staff area")).to_be_visible()


def write_pdf(path: Path, text: str) -> Path:
    """A small, well-formed one-page PDF (header, objects, cross-reference table, trailer)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{number} 0 obj\n".encode() + content + b"\nendobj\n"
    xref_at = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    body += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n".encode()
    path.write_bytes(body)
    return path
