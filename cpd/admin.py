"""CPD configuration: activity types. Everything else changes only through services."""

from django.contrib import admin

from core.admin import AuditedConfigurationAdmin
from cpd.models import ActivityType


@admin.register(ActivityType)
class ActivityTypeAdmin(AuditedConfigurationAdmin):
    list_display = ("code", "name", "requires_reflection")
