"""The council's roles, as groups with named permissions. Practitioners need no group."""

from __future__ import annotations

import enum
from typing import Any

from django.contrib.auth.models import Group, Permission


class Role(enum.StrEnum):
    REGISTRATION_OFFICER = "registration_officer"
    REGISTRAR = "registrar"
    FINANCE_OFFICER = "finance_officer"
    EXAMS_OFFICER = "exams_officer"
    CPD_OFFICER = "cpd_officer"
    CONDUCT_OFFICER = "conduct_officer"
    HEARING_PANEL = "hearing_panel"
    COUNCIL_ADMIN = "council_admin"
    EMPLOYER_USER = "employer_user"
    CPD_PROVIDER_USER = "cpd_provider_user"


STAFF_ROLES = frozenset(
    {
        Role.REGISTRATION_OFFICER,
        Role.REGISTRAR,
        Role.FINANCE_OFFICER,
        Role.EXAMS_OFFICER,
        Role.CPD_OFFICER,
        Role.CONDUCT_OFFICER,
        Role.HEARING_PANEL,
        Role.COUNCIL_ADMIN,
    }
)

# The permissions each role holds, as "app_label.codename". Later issues extend this table.
ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.REGISTRATION_OFFICER: frozenset(
        {
            "core.access_staff_area",
            "registry.review_application",
            "registry.view_register_record",
        }
    ),
    Role.REGISTRAR: frozenset(
        {
            "core.access_staff_area",
            "registry.review_application",
            "registry.decide_application",
            "registry.assign_application",
            "registry.view_register_record",
            "registry.change_register_status",
            "exams.approve_to_test",
            "exams.view_exam_reports",
            "discipline.view_cases",
            "discipline.make_interim_order",
            "portal.view_search_statistics",
            "portal.export_register",
            "workforce.view_workforce_statistics",
            "workforce.import_child_population",
            "legacy.import_legacy_register",
            "legacy.merge_practitioners",
            "privacy.export_personal_data",
            "retention.review_retention",
        }
    ),
    Role.FINANCE_OFFICER: frozenset(
        {"core.access_staff_area", "licensing.manage_finance", "licensing.approve_finance"}
    ),
    Role.EXAMS_OFFICER: frozenset(
        {"core.access_staff_area", "exams.manage_exams", "exams.record_results", "exams.view_exam_reports"}
    ),
    Role.CPD_OFFICER: frozenset({"core.access_staff_area", "cpd.manage_cpd", "cpd.audit_cpd"}),
    Role.CONDUCT_OFFICER: frozenset(
        {
            "core.access_staff_area",
            "registry.view_register_record",
            "discipline.triage_complaint",
            "discipline.view_cases",
            "discipline.manage_cases",
        }
    ),
    Role.HEARING_PANEL: frozenset({"core.access_staff_area", "discipline.sit_on_panel"}),
    Role.COUNCIL_ADMIN: frozenset(
        {
            "core.access_staff_area",
            "core.edit_council_rules",
            # The admin's own model permissions, for the configuration it edits.
            *(
                f"{app}.{verb}_{model}"
                for app, model in (
                    ("core", "council"),
                    ("core", "ruleset"),
                    ("registry", "registercategory"),
                    ("registry", "qualificationtype"),
                    ("registry", "institution"),
                    ("registry", "programme"),
                    ("exams", "exam"),
                    ("exams", "examversion"),
                    ("cpd", "activitytype"),
                    ("portal", "employerorganisation"),
                    ("portal", "employermember"),
                    ("core", "region"),
                )
                for verb in ("view", "add", "change")
            ),
            "core.view_auditevent",
            "core.view_notification",
            "portal.view_search_statistics",
            "workforce.view_workforce_statistics",
            "workforce.import_child_population",
            "legacy.import_legacy_register",
            "privacy.export_personal_data",
            "retention.review_retention",
            "retention.view_retentionrule",
            "retention.change_retentionrule",
        }
    ),
    Role.EMPLOYER_USER: frozenset(),
    Role.CPD_PROVIDER_USER: frozenset(),
}


def roles_sync() -> None:
    """Make each role's group hold exactly the permissions in ROLE_PERMISSIONS."""
    for role, codes in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        permissions = []
        for code in sorted(codes):
            app_label, codename = code.split(".")
            permissions.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(permissions)


def roles_sync_after_migrate(sender: Any, **kwargs: Any) -> None:
    # post_migrate reaches core before later apps have their permissions; create them all first.
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    roles_sync()
