"""`manage.py seed_demo`: fill an empty database with the demo council and print its log-ins."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.demo import DEFAULT_PRACTITIONER_COUNT, DEMO_PASSWORD, DEMO_URL, DemoRefusedError, DemoSeedResult, demo_seed


class Command(BaseCommand):
    help = "Create the demo council (rules, categories, staff log-ins and practitioners). Safe to run twice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--practitioners",
            type=int,
            default=DEFAULT_PRACTITIONER_COUNT,
            help=f"How many practitioners to put on the register (default {DEFAULT_PRACTITIONER_COUNT}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            result = demo_seed(practitioner_count=options["practitioners"])
        except (DemoRefusedError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self._report(result, seconds=time.monotonic() - started)

    def _report(self, result: DemoSeedResult, *, seconds: float) -> None:
        write = self.stdout.write
        if result.created:
            write(self.style.SUCCESS(f"Demo council created in {seconds:.1f} s."))
        else:
            write(self.style.WARNING("The demo council is already here; nothing was changed."))
        entries = ", ".join(f"{status} {count}" for status, count in result.entry_counts.items())
        applications = ", ".join(f"{status} {count}" for status, count in result.application_counts.items())
        write(f"Register entries: {sum(result.entry_counts.values())} ({entries})")
        write(f"Applications: {sum(result.application_counts.values())} ({applications})")
        width = max(len(login.email) for login in result.logins)
        rule = "=" * 78
        write("")
        write(rule)
        write(self.style.MIGRATE_HEADING(f"Demo: open {DEMO_URL}"))
        write(f"Every demo log-in has the password: {DEMO_PASSWORD}")
        write("")
        for login in result.logins:
            write(f"  {login.email:<{width}}  {login.role}")
        write("")
        write("Staff accounts must also enter an authenticator code (MFA). Get the current one with:")
        write("  .venv/bin/python manage.py demo_totp_code registrar@demo.council.example")
        write("or add the account's secret below to an authenticator app (TOTP, 6 digits, 30 seconds):")
        for login in result.logins:
            if login.totp_secret:
                write(f"  {login.email:<{width}}  {login.totp_secret}")
        write("")
        write('Try the public register search with "jose nunez".')
        write(rule)
