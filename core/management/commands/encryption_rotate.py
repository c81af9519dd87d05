from typing import Any

from django.core.management.base import BaseCommand

from core.services import identifiers_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored personal identifier under the first key of COUNCIL_FIELD_ENCRYPTION_KEYS. "
        "Run it after putting a new key first; the old keys can be dropped once it has finished."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--reason", default="encryption key rotated", help="Recorded in the audit event.")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = identifiers_reencrypt(actor=None, reason=options["reason"])
        total = sum(counts.values())
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {total} identifiers in {len(counts)} columns."))
