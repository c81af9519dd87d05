"""Take the README's screenshots from a freshly seeded demo council, in Debian's Chromium.

Usage: make screenshots  (writes docs/screenshots/*.png)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


def _wait_for(port: int, deadline_seconds: float = 30) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
        except OSError:
            time.sleep(0.2)
        else:
            return
    raise RuntimeError("the demo server did not start")


def _sign_in(page: Any, base: str, email: str, code: str = "") -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", "demo-password-2026")
    page.click("main button[type=submit]")
    if code:
        page.fill("input[name=code]", code)
        page.click("main button[type=submit]")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DATABASE_URL": f"sqlite:///{tmp}/demo.sqlite3",
            "DJANGO_MEDIA_ROOT": f"{tmp}/media",
        }
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(env, "seed_demo")
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(port)
            base = f"http://127.0.0.1:{port}"
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
                page = phone.new_page()
                page.goto(f"{base}/register/?q=jose+nunez")
                page.screenshot(path=str(OUT / "public-register.png"), full_page=True)
                page.goto(f"{base}/complaints/")
                page.screenshot(path=str(OUT / "complaint-form.png"), full_page=False)
                page.goto(f"{base}/open-data/")
                page.screenshot(path=str(OUT / "open-data.png"), full_page=False)
                _sign_in(page, base, "practitioner@demo.council.example")
                page.goto(f"{base}/licence/")
                page.screenshot(path=str(OUT / "renewal.png"), full_page=True)
                employer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                _sign_in(employer, base, "employer@demo.council.example")
                employer.goto(f"{base}/employer/")
                employer.screenshot(path=str(OUT / "employer-roster.png"), full_page=False)
                employer.goto(f"{base}/api/v1/docs/")
                employer.wait_for_selector(".opblock")
                employer.screenshot(path=str(OUT / "api-docs.png"), full_page=False)
                for email, path, name in (
                    ("registrar@demo.council.example", "/staff/applications/?status=IN_REVIEW", "registrar-queue.png"),
                    ("finance-officer@demo.council.example", "/staff/finance/", "finance-aged-debt.png"),
                    ("exams-officer@demo.council.example", "/staff/exams/", "exams-sitting.png"),
                    ("conduct-officer@demo.council.example", "/staff/conduct/", "conduct-dashboard.png"),
                ):
                    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                    _sign_in(page, base, email, code=_manage(env, "demo_totp_code", email).strip())
                    page.goto(f"{base}{path}")
                    if name == "exams-sitting.png":  # the first upcoming sitting: its candidates and accommodations
                        page.get_by_role("table").first.get_by_role("link").first.click()
                    page.screenshot(path=str(OUT / name), full_page=False)
                    if name == "registrar-queue.png":  # the same session: a second sign-in would reuse the code
                        page.goto(f"{base}/staff/workforce/#indicator")  # the chart and its table
                        page.screenshot(path=str(OUT / "workforce-dashboard.png"), full_page=False)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=20)
    sys.stdout.write(f"Screenshots written to {OUT}\n")


if __name__ == "__main__":
    main()
