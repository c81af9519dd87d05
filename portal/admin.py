"""Employer organisations are set up by the council in the admin; everything else, employers do themselves."""

from django import forms
from django.contrib import admin

from core.admin import AuditedConfigurationAdmin
from portal import services
from portal.models import EmployerMember, EmployerOrganisation


@admin.register(EmployerOrganisation)
class EmployerOrganisationAdmin(AuditedConfigurationAdmin):
    list_display = ("name", "registration_number", "is_active", "alert_frequency")
    fields = ("name", "registration_number", "is_active")
    search_fields = ("name", "registration_number")


class EmployerMemberForm(forms.ModelForm):
    class Meta:
        model = EmployerMember
        fields = ("organisation", "user")

    def clean_user(self):
        user = self.cleaned_data["user"]
        if EmployerMember.objects.filter(user=user).exists():
            raise forms.ValidationError("This user already acts for an organisation.")
        return user


@admin.register(EmployerMember)
class EmployerMemberAdmin(admin.ModelAdmin):
    """Adding a member goes through services.member_add: the user joins the employer group, with an audit event."""

    form = EmployerMemberForm
    list_display = ("user", "organisation", "created_at")
    autocomplete_fields = ("organisation",)
    raw_id_fields = ("user",)

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionError("A membership is not edited once made.")
        member = services.member_add(actor=request.user, organisation=obj.organisation, user=obj.user)
        obj.pk = member.pk

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
