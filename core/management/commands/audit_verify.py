from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.audit import audit_chain_verify


class Command(BaseCommand):
    help = "Check the audit event hash chain and report the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = audit_chain_verify()
        if broken is not None:
            raise CommandError(f"Audit chain broken at event #{broken.event_id}: {broken.problem}.")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} events verified."))
