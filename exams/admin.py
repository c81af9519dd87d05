"""Exam configuration: exams and their versions. Sittings, bookings and results change only through services.

A version's scoring is frozen once any result was recorded against it: changing a pass mark afterwards
would silently change what earlier results mean. Results are shown read-only, and the database refuses
changes to published ones whatever the path.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.admin import AuditedConfigurationAdmin
from exams.models import Exam, ExamVersion, Result

SCORING_FIELDS = ("max_raw_score", "pass_raw_score", "scaled_min", "scaled_max", "scaled_pass_score")


@admin.register(Exam)
class ExamAdmin(AuditedConfigurationAdmin):
    list_display = ("code", "name", "category", "level", "is_active")


@admin.register(ExamVersion)
class ExamVersionAdmin(AuditedConfigurationAdmin):
    list_display = ("exam", "code", "max_raw_score", "pass_raw_score", "scaled_pass_score")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and Result.objects.filter(booking__sitting__version=obj).exists():
            return ("exam", "code", *SCORING_FIELDS)
        return ()


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    list_display = ("booking", "version", "status", "raw_score", "scaled_score", "passed")
    list_filter = ("status",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
