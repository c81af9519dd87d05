"""Register configuration: categories, qualification types, institutions, programmes.

Applications, entries and people change only through services, so they are read-only here.
"""

from django.contrib import admin

from core.admin import AuditedConfigurationAdmin
from registry.models import Institution, Programme, QualificationType, RegisterCategory


@admin.register(RegisterCategory)
class RegisterCategoryAdmin(AuditedConfigurationAdmin):
    list_display = ("code", "name", "registration_number_prefix", "requires_exam", "is_open_for_applications")
    filter_horizontal = ("accepted_qualification_types",)


@admin.register(QualificationType)
class QualificationTypeAdmin(AuditedConfigurationAdmin):
    list_display = ("code", "name")


@admin.register(Institution)
class InstitutionAdmin(AuditedConfigurationAdmin):
    list_display = ("name", "country")


@admin.register(Programme)
class ProgrammeAdmin(AuditedConfigurationAdmin):
    list_display = ("name", "institution", "qualification_type", "is_accredited")
