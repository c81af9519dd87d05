"""The staff review queue's filters (django-filter)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import Application, RegisterCategory


class ApplicationQueueFilter(django_filters.FilterSet):
    AGE_CHOICES = (
        ("7", _("Waiting more than 7 days")),
        ("30", _("Waiting more than 30 days")),
        ("90", _("Waiting more than 90 days")),
    )
    ASSIGNEE_CHOICES = (("me", _("Assigned to me")), ("none", _("Not assigned")))

    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[(value, label) for value, label in Application.Status.choices if value != "DRAFT"],
        empty_label=_("Any status"),
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"),
        queryset=RegisterCategory.objects.order_by("display_order", "name"),
        to_field_name="code",
        empty_label=_("Any category"),
    )
    age = django_filters.ChoiceFilter(
        label=_("Age"), choices=AGE_CHOICES, method="filter_age", empty_label=_("Any age")
    )
    assignee = django_filters.ChoiceFilter(
        label=_("Assignee"), choices=ASSIGNEE_CHOICES, method="filter_assignee", empty_label=_("Anyone")
    )

    class Meta:
        model = Application
        fields = ("status", "category", "age", "assignee")

    def __init__(self, *args: Any, request_user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request_user = request_user
        self.form.fields["category"].label_from_instance = lambda category: category.name

    def filter_age(self, queryset: QuerySet[Application], name: str, value: str) -> QuerySet[Application]:
        cutoff = timezone.now() - dt.timedelta(days=int(value))
        return queryset.filter(submitted_at__lte=cutoff)

    def filter_assignee(self, queryset: QuerySet[Application], name: str, value: str) -> QuerySet[Application]:
        if value == "none":
            return queryset.filter(assigned_to__isnull=True)
        if self.request_user is None:
            return queryset.none()
        return queryset.filter(assigned_to=self.request_user)
