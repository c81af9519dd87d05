"""Retention rules, set by the council administrator: each record type's period, whether it is active, notes.

The record types are fixed in code, so rules are neither added nor deleted here; saves go through
configuration_save (history row and audit event). Flags are decided on the staff review page.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin import AuditedConfigurationAdmin
from retention.models import RetentionRule
from retention.record_types import RECORD_TYPES


@admin.register(RetentionRule)
class RetentionRuleAdmin(AuditedConfigurationAdmin):
    list_display = ("record_type", "period_months", "is_active", "notes")
    fields = ("record_type", "counted_from", "disposal", "period_months", "is_active", "notes")
    readonly_fields = ("record_type", "counted_from", "disposal")

    @admin.display(description=_("counted from"))
    def counted_from(self, obj: RetentionRule) -> str:
        return str(RECORD_TYPES[obj.record_type].starts)

    @admin.display(description=_("disposal"))
    def disposal(self, obj: RetentionRule) -> str:
        return str(RECORD_TYPES[obj.record_type].disposal)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
