"""`manage.py demo_totp_code EMAIL`: the current authenticator code of a demo staff account.

Staff must use MFA. In the local demo this lets a visitor sign in as a member of staff without
an authenticator app. It refuses unless DEBUG is on and the account is on the demo domain.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.demo import DemoRefusedError, demo_totp_code


class Command(BaseCommand):
    help = "Print the current 6-digit authenticator code of a demo staff account (local demo only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="A demo account, e.g. registrar@demo.council.example")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            code = demo_totp_code(email=options["email"])
        except DemoRefusedError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(code.code)
        self.stderr.write(f"Valid for {code.seconds_remaining} more seconds.")
