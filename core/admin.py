"""Council configuration in the admin. Business actions are never done here."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.sites.models import Site
from simple_history.admin import SimpleHistoryAdmin

from core.models import AuditEvent, Council, Notification, Region, RuleSet
from core.services import configuration_save


class AuditedConfigurationAdmin(SimpleHistoryAdmin):
    """Saves go through configuration_save, so every edit leaves an audit event and a history row."""

    def save_model(self, request, obj, form, change):
        configuration_save(actor=request.user, instance=obj, changed_fields=list(form.changed_data))

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Council)
class CouncilAdmin(AuditedConfigurationAdmin):
    list_display = ("name", "short_name", "currency", "time_zone")


@admin.register(RuleSet)
class RuleSetAdmin(AuditedConfigurationAdmin):
    list_display = ("version", "effective_date", "notes")


@admin.register(Region)
class RegionAdmin(AuditedConfigurationAdmin):
    list_display = ("name", "code", "parent")
    search_fields = ("name", "code")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("id", "occurred_at", "actor_label", "action", "object_repr")
    list_filter = ("action",)
    search_fields = ("object_repr", "actor_label", "reason")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "to_email", "status", "attempts", "sent_at")
    list_filter = ("status", "kind")
    readonly_fields = ("recipient", "to_email", "subject", "body", "kind", "status", "attempts", "sent_at")

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Roles, email addresses and authenticators change only through services and allauth's own flows,
# which audit them; the admin offers no way round.
for model in (Group, Site, EmailAddress, Authenticator):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
