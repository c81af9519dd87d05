"""The practitioner's own page about their public register entry: town of work and consent to the optional
public fields. Only the signed-in person's own record is ever loaded, so nobody can choose for anyone else."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.access import AUTHENTICATED, AuthenticatedRequest, access
from core.exceptions import ApplicationError
from portal.selectors import Disclosure, optional_public_fields
from registry import consent, selectors
from registry.forms import PublicDetailsForm
from registry.models import Practitioner


def _rule_hint(disclosure: Disclosure) -> str:
    """What the council's rules do with a field, in the practitioner's words."""
    if disclosure is Disclosure.NEVER:
        return _("The council does not publish this at present. Your choice is kept in case it does.")
    if disclosure is Disclosure.ALWAYS:
        return _("The council's rules publish this whether or not you agree.")
    return _("Shown only if you tick this box. You can untick it at any time.")


def _hints(practitioner: Practitioner, form: PublicDetailsForm, *, council: object) -> None:
    optional = optional_public_fields(council)
    if practitioner.previous_names:
        shown = _("The register would show: “%(names)s”, and a search for that name would find you.") % {
            "names": practitioner.previous_names
        }
    else:
        shown = _("You have no previous names on record, so nothing would be shown.")
    form.fields["consents_to_publish_previous_names"].help_text = f"{shown} {_rule_hint(optional.previous_names)}"
    form.fields["consents_to_publish_work_town"].help_text = " ".join(
        (
            _("The register would show the town or city above, and nothing else about where you work."),
            _rule_hint(optional.work_town),
        )
    )


@access(AUTHENTICATED)
@require_http_methods(["GET", "POST"])
def public_details(request: AuthenticatedRequest) -> HttpResponse:
    try:
        practitioner = selectors.practitioner_get_for_user(user=request.user)
    except Practitioner.DoesNotExist as exc:
        raise Http404(_("You have no entry on the register yet.")) from exc
    initial = {
        "work_town": practitioner.work_town,
        "consents_to_publish_previous_names": practitioner.consents_to_publish_previous_names,
        "consents_to_publish_work_town": practitioner.consents_to_publish_work_town,
    }
    form = PublicDetailsForm(request.POST if request.method == "POST" else None, initial=initial)
    council = getattr(request, "council", None)
    _hints(practitioner, form, council=council)
    if request.method == "POST" and form.is_valid():
        try:
            consent.practitioner_public_details_save(actor=request.user, practitioner=practitioner, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your choices for the public register are saved."))
            return redirect("practitioner:public-details")
    return render(
        request,
        "registry/practitioner/public_details.html",
        {"form": form, "practitioner": practitioner, "entries": practitioner.register_entries.all()},
        status=400 if form.errors else 200,
    )
