"""Template helpers for GOV.UK Design System markup."""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.core.exceptions import NON_FIELD_ERRORS

register = template.Library()


def _widget_kind(bound: forms.BoundField) -> str:
    widget = bound.field.widget
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.ClearableFileInput | forms.FileInput):
        return "file"
    return "input"


@register.inclusion_tag("includes/field.html")
def govuk_field(bound: forms.BoundField, width: str = "") -> dict[str, Any]:
    widget = bound.field.widget
    input_type = getattr(widget, "input_type", "text")
    return {
        "field": bound,
        "kind": _widget_kind(bound),
        "input_type": input_type,
        "value": widget.format_value(bound.value()) if input_type != "file" else "",
        "width": width,
        "describedby": " ".join(
            part
            for part in (
                f"{bound.auto_id}-hint" if bound.help_text else "",
                f"{bound.auto_id}-error" if bound.errors else "",
            )
            if part
        ),
        "rows": widget.attrs.get("rows", 5),
        "accept": widget.attrs.get("accept", ""),
        "multiple": bool(getattr(widget, "allow_multiple_selected", False)),
    }


@register.inclusion_tag("includes/error_summary.html")
def govuk_error_summary(*forms_: forms.Form | None) -> dict[str, Any]:
    items: list[dict[str, str]] = []
    for form in forms_:
        if form is None or not form.is_bound:
            continue
        items.extend({"text": str(error), "href": ""} for error in form.non_field_errors())
        for name, errors in form.errors.items():
            if name == NON_FIELD_ERRORS:
                continue
            bound = form[name]
            anchor = bound.auto_id
            if isinstance(bound.field.widget, forms.RadioSelect):
                anchor = f"{bound.auto_id}_0"
            items.extend({"text": str(error), "href": f"#{anchor}"} for error in errors)
    return {"items": items}


@register.filter
def status_modifier(value: str) -> str:
    return str(value or "").lower()


@register.filter
def money(amount_minor: int | None, currency: str) -> str:
    """{{ invoice.total_minor|money:invoice.currency }}"""
    from core.money import format_minor

    return "" if amount_minor is None else format_minor(int(amount_minor), currency)


@register.filter
def masked(identifier: str | None) -> str:
    """{{ practitioner.national_id|masked }}: the last four characters only (core.crypto.mask)."""
    from core.crypto import mask

    return mask(identifier)


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    """mapping[key] in a template, or "" when it is missing."""
    return mapping.get(key, "")
