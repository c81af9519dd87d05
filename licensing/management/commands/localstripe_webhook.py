"""Point localstripe's webhooks at this site (development and the demo only; refuses anything but loopback)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from licensing import gateway

EVENTS = ["payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled"]


class Command(BaseCommand):
    help = "Ask the localstripe at STRIPE_API_BASE to send payment events to URL, signed with STRIPE_WEBHOOK_SECRET."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", help="The webhook address, e.g. http://127.0.0.1:8000/licence/stripe/webhook/")

    def handle(self, *args: Any, **options: Any) -> None:
        gateway.localstripe_webhook_register(url=options["url"], secret=settings.STRIPE_WEBHOOK_SECRET, events=EVENTS)
        self.stdout.write(f"localstripe at {settings.STRIPE_API_BASE} sends payment events to {options['url']}\n")
