"""The verification API, version 1: public lookups and search, bulk checks, statements, employer rosters.

Responses hold only DESIGN.md's public fields (portal.selectors.public_fields). The serializers
below describe the responses for the OpenAPI schema; the data itself is built by the selectors.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import PUBLIC
from core.exceptions import ApplicationError
from core.selectors import council_today
from discipline.models import PublicationKind
from portal import selectors, services
from portal.api_auth import PROBLEM_CONTENT_TYPE, HasApiKey, problem
from portal.models import ApiKey, RosterEntry
from portal.stats import search_counted, search_outcome
from registry.lifecycles import ENTRY_PRACTISING_STATUSES
from registry.models import RegisterCategory, RegisterEntry, RegisterEntryStatus
from registry.numbers import looks_like_registration_number, normalise_registration_number
from registry.selectors import public_register_search

MAX_PAGES = 10
MAX_PAGE_SIZE = 50
ROSTER_MAX_PAGE_SIZE = 500


# Schema: request and response shapes ------------------------------------------------------------


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "portal.api_auth.ApiKeyAuthentication"
    name = "employerApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An employer organisation's API key, issued in the employer portal.",
        }


def schema_limits(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular post-processing: what the serializers cannot say. The bulk check's limit is a setting
    (COUNCIL_BULK_VERIFY_MAX), given as maxItems; every 429 carries Retry-After."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        numbers = component.get("properties", {}).get("registration_numbers")
        if name.startswith("VerificationRequest") and numbers is not None:
            numbers["maxItems"] = settings.COUNCIL_BULK_VERIFY_MAX
    for item in result.get("paths", {}).values():
        for operation in item.values():
            too_many = operation.get("responses", {}).get("429") if isinstance(operation, dict) else None
            if too_many is not None:
                too_many.setdefault("headers", {})["Retry-After"] = {
                    "description": "Seconds until the caller's rate-limit window ends.",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                }
    return result


# DRF refuses text holding a NUL character; this says so in the schema too (as its pattern), so that a
# client (or schemathesis) does not take such text for valid input.
NUL_FREE = RegexValidator(r"^[^\x00]*$", message=_("Text may not contain null characters."))


class NulFreeCharField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(NUL_FREE)


class TextField(NulFreeCharField):
    """A JSON string and nothing else: DRF's CharField would also take 0 or false, as "0" or "False"."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class QuerySerializer(serializers.Serializer):
    """Query parameters. DRF reads a parameter given empty ("?page=") as not given; here only a text
    parameter may be empty, as the schema says."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        blank = [
            name
            for name, field in self.fields.items()
            if not getattr(field, "allow_blank", False) and data.get(name) == ""
        ]
        if blank:
            raise serializers.ValidationError({name: [_("This field may not be blank.")] for name in blank})
        return super().to_internal_value(data)


class ProblemSerializer(serializers.Serializer):
    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(required=False)
    instance = serializers.CharField(required=False)
    retry_after = serializers.IntegerField(required=False)
    errors = inline_serializer(
        "ProblemFieldError",
        {"pointer": serializers.CharField(), "detail": serializers.CharField()},
        many=True,
        required=False,
    )


class CategorySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class LicenceSerializer(serializers.Serializer):
    valid_from = serializers.DateField(allow_null=True)
    valid_to = serializers.DateField()


class NoticeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PublicationKind.choices)
    kind_label = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    summary = serializers.CharField(allow_blank=True)


class PractitionerSerializer(serializers.Serializer):
    registration_number = serializers.CharField()
    given_names = serializers.CharField(allow_blank=True)
    family_name = serializers.CharField(allow_blank=True)
    previous_names = serializers.CharField(
        allow_blank=True,
        required=False,
        help_text=(
            "Only where the council publishes previous names and, where its rules ask for it, "
            "the practitioner agreed to their publication."
        ),
    )
    work_town = serializers.CharField(
        allow_blank=True,
        required=False,
        help_text=(
            "The town or city where the practitioner works: only where the council publishes it and, "
            "where its rules ask for it, the practitioner agreed to its publication."
        ),
    )
    category = CategorySerializer()
    status = serializers.ChoiceField(choices=RegisterEntryStatus.choices)
    status_label = serializers.CharField()
    status_summary = serializers.CharField(
        help_text='In plain words, e.g. "Registered and licensed to practise until…"'
    )
    may_practise = serializers.BooleanField()
    registered_since = serializers.DateField()
    conditions = serializers.CharField(allow_blank=True)
    licence = LicenceSerializer(allow_null=True, help_text="The practising licence in force today, if any.")
    notices = NoticeSerializer(many=True, help_text="Fitness to practise notices published today.")
    record_url = serializers.URLField()


class PractitionerDetailSerializer(PractitionerSerializer):
    as_at = serializers.DateTimeField()


class SearchResponseSerializer(serializers.Serializer):
    as_at = serializers.DateTimeField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    has_next = serializers.BooleanField()
    results = PractitionerSerializer(many=True)


class SearchQuerySerializer(QuerySerializer):
    name = NulFreeCharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text=(
            "Name (case and accents ignored; at least two letters) or registration number. "
            "Give this or registration_number."
        ),
    )
    registration_number = NulFreeCharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="A registration number with its check digit (a mistyped number is refused, never matched).",
    )
    category = NulFreeCharField(max_length=40, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=RegisterEntryStatus.choices, required=False)
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGES, required=False, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, required=False, default=25)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs.get("name") or "").strip() and not (attrs.get("registration_number") or "").strip():
            raise serializers.ValidationError(_("Give a name or a registration number to search for."))
        return attrs


class VerificationRequestSerializer(serializers.Serializer):
    registration_numbers = serializers.ListField(
        child=TextField(max_length=64, allow_blank=True, trim_whitespace=False),
        allow_empty=False,
        min_length=1,
        help_text="Up to 10,000 registration numbers (COUNCIL_BULK_VERIFY_MAX).",
    )

    def validate_registration_numbers(self, value: list[str]) -> list[str]:
        limit = settings.COUNCIL_BULK_VERIFY_MAX
        if len(value) > limit:
            raise serializers.ValidationError(
                _("At most %(limit)s numbers may be checked at once; this request has %(count)s.")
                % {"limit": limit, "count": len(value)}
            )
        return value


class VerificationResultSerializer(serializers.Serializer):
    input = serializers.CharField(allow_blank=True)
    registration_number = serializers.CharField(allow_null=True)
    result = serializers.ChoiceField(choices=[("found", "found"), ("not_found", "not found"), ("invalid", "invalid")])
    status = serializers.ChoiceField(choices=RegisterEntryStatus.choices, allow_null=True)
    may_practise = serializers.BooleanField(allow_null=True)
    conditions = serializers.CharField(allow_null=True, allow_blank=True)
    licence_valid_to = serializers.DateField(allow_null=True)
    message = serializers.CharField(allow_blank=True)


class VerificationResponseSerializer(serializers.Serializer):
    as_at = serializers.DateTimeField()
    checked = serializers.IntegerField()
    found = serializers.IntegerField()
    results = VerificationResultSerializer(many=True)


class StatementResponseSerializer(serializers.Serializer):
    reference = serializers.CharField()
    statement = serializers.DictField(help_text="The signed facts, exactly as in the token's payload.")
    token = serializers.CharField(help_text="base64url(canonical JSON) '.' base64url(Ed25519 signature)")
    verify_url = serializers.URLField()
    keys_url = serializers.URLField()


class StatementQuerySerializer(QuerySerializer):
    as_at = serializers.DateField(
        required=False, help_text="Default: today, in the council's time zone. Not in the future, nor before 1900."
    )

    def validate_as_at(self, value: dt.date) -> dt.date:
        if value > council_today():
            raise serializers.ValidationError(_("A statement cannot be made for a date in the future."))
        if value.year < 1900:
            raise serializers.ValidationError(_("Give a date after 1900."))
        return value


class RosterRowSerializer(serializers.Serializer):
    reference = serializers.CharField(allow_blank=True)
    flags = serializers.ListField(child=serializers.ChoiceField(choices=[(f, f) for f in selectors.ROSTER_FLAGS]))
    practitioner = PractitionerSerializer()


class RosterResponseSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    results = RosterRowSerializer(many=True)


class RosterQuerySerializer(QuerySerializer):
    page = serializers.IntegerField(min_value=1, max_value=100000, required=False, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=ROSTER_MAX_PAGE_SIZE, required=False, default=100)


class RosterAddSerializer(serializers.Serializer):
    registration_numbers = serializers.ListField(
        child=TextField(max_length=64, allow_blank=True), allow_empty=False, min_length=1, max_length=20000
    )


class RosterAddResponseSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    added = serializers.IntegerField()
    already = serializers.IntegerField()
    errors = inline_serializer(
        "RosterRowError",
        {
            "row": serializers.IntegerField(),
            "value": serializers.CharField(allow_blank=True),
            "message": serializers.CharField(),
        },
        many=True,
    )


def _problems(*codes: int) -> dict[tuple[int, str], OpenApiResponse]:
    return {
        (code, PROBLEM_CONTENT_TYPE): OpenApiResponse(ProblemSerializer, description="A problem (RFC 9457)")
        for code in codes
    }


# Views -----------------------------------------------------------------------------------------


class _PublicApiView(APIView):
    access_rule = PUBLIC  # the gate is the API key and the rate limits, applied by DRF
    # Read-only views run outside a transaction (no round trips for BEGIN/COMMIT on the hottest paths).
    read_only = False

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        view = super().as_view(**initkwargs)
        return transaction.non_atomic_requests(view) if cls.read_only else view

    def _record(
        self, request: Request, entry: RegisterEntry, notices: list[Any], optional: selectors.OptionalPublicFields
    ) -> dict[str, Any]:
        data = selectors.public_fields(entry, notices=notices, optional=optional)
        data["record_url"] = request.build_absolute_uri(
            reverse("portal:register-record", args=[entry.registration_number])
        )
        return data


class PractitionerDetail(_PublicApiView):
    read_only = True

    @extend_schema(
        operation_id="practitioner_get",
        summary="One practitioner's public record, by registration number",
        responses={200: PractitionerDetailSerializer, **_problems(401, 404, 429)},
    )
    def get(self, request: Request, registration_number: str) -> Response:
        number = normalise_registration_number(registration_number)
        if number is None:
            search_counted(channel="api", kind="number", outcome="invalid")
            return problem(
                status_code=404,
                title=_("Not found"),
                kind="invalid-number",
                detail=_("This is not a valid registration number: check it for a typing mistake."),
            )
        data = selectors.public_record(
            registration_number=number,
            optional=selectors.optional_public_fields(getattr(request, "council", None)),
        )
        if data is None:
            search_counted(channel="api", kind="number", outcome="none")
            return problem(
                status_code=404,
                title=_("Not found"),
                kind="not-found",
                detail=_("No one is registered under that number."),
            )
        search_counted(channel="api", kind="number", outcome="found")
        data["record_url"] = request.build_absolute_uri(reverse("portal:register-record", args=[number]))
        data["as_at"] = timezone.now()
        return Response(data)


class PractitionerList(_PublicApiView):
    read_only = True

    @extend_schema(
        operation_id="practitioner_search",
        summary="Search the register by name or number",
        description=(
            f"Pages of at most {MAX_PAGE_SIZE}, and no further than page {MAX_PAGES}: refine the search "
            "rather than page through the register."
        ),
        parameters=[SearchQuerySerializer],
        responses={200: SearchResponseSerializer, **_problems(400, 401, 429)},
    )
    def get(self, request: Request) -> Response:
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        text = (params.get("registration_number") or "").strip() or (params.get("name") or "").strip()
        optional = selectors.optional_public_fields(getattr(request, "council", None))
        entries, problem_code = public_register_search(
            query=text,
            category_code=params.get("category", ""),
            status=params.get("status", ""),
            previous_names_where=optional.previous_names_searchable(),
        )
        kind = "number" if looks_like_registration_number(text) else "name"
        if problem_code is not None:
            search_counted(channel="api", kind=kind, outcome=search_outcome(problem=problem_code, found=False))
            message = {
                "invalid-number": _("This is not a valid registration number: check it for a typing mistake."),
                "too-short": _("Give at least two letters of the name."),
            }[problem_code]
            # The error points at the parameter the text came from (registration_number wins over name).
            given = "registration_number" if (params.get("registration_number") or "").strip() else "name"
            raise serializers.ValidationError({given: [message]})
        page, size = params["page"], params["page_size"]
        offset = (page - 1) * size
        rows = list(selectors.with_licence(entries, on_date=timezone.localdate())[offset : offset + size + 1])
        has_next = len(rows) > size and page < MAX_PAGES
        rows = rows[:size]
        search_counted(channel="api", kind=kind, outcome=search_outcome(problem=None, found=bool(rows)))
        notices = selectors.public_notices_for([row.pk for row in rows]) if rows else {}
        return Response(
            {
                "as_at": timezone.now(),
                "page": page,
                "page_size": size,
                "has_next": has_next,
                "results": [self._record(request, row, notices.get(row.pk, []), optional) for row in rows],
            }
        )


class PractitionerStatement(_PublicApiView):
    @extend_schema(
        operation_id="practitioner_statement",
        summary="A signed verification statement as at a date",
        parameters=[StatementQuerySerializer],
        responses={200: StatementResponseSerializer, **_problems(400, 401, 404, 429)},
    )
    def get(self, request: Request, registration_number: str) -> Response:
        query = StatementQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        number = normalise_registration_number(registration_number)
        entry = (
            RegisterEntry.objects.select_related("practitioner", "category").filter(registration_number=number).first()
        )
        if number is None or entry is None:
            return problem(
                status_code=404,
                title=_("Not found"),
                kind="not-found",
                detail=_("No one is registered under that number."),
            )
        statement = services.statement_issue(entry=entry, day=query.validated_data.get("as_at") or council_today())
        return Response(
            {
                "reference": statement.reference,
                "statement": statement.payload,
                "token": statement.token,
                "verify_url": request.build_absolute_uri(reverse("portal:statement-check", args=[statement.reference])),
                "keys_url": request.build_absolute_uri(reverse("well-known-verification-keys")),
            }
        )


class Verifications(_PublicApiView):
    permission_classes = [HasApiKey]
    read_only = True

    @extend_schema(
        operation_id="verifications_create",
        summary="Check up to 10,000 registration numbers in one request",
        request=VerificationRequestSerializer,
        responses={200: VerificationResponseSerializer, **_problems(400, 401, 415, 429)},
    )
    def post(self, request: Request) -> Response:
        body = VerificationRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        inputs: list[str] = body.validated_data["registration_numbers"]
        numbers = [normalise_registration_number(given) for given in inputs]
        wanted = {number for number in numbers if number is not None}
        found: dict[str, tuple[str, str, dt.date | None]] = {}
        entries = selectors.with_licence(
            RegisterEntry.objects.filter(registration_number__in=wanted), on_date=timezone.localdate()
        ).values_list("registration_number", "status", "conditions", "licence_valid_to")  # type: ignore[misc]
        for number, status, conditions, valid_to in entries:
            found[number] = (status, conditions, valid_to)
        results = []
        for given, number in zip(inputs, numbers, strict=True):
            hit = found.get(number) if number is not None else None
            if hit is not None:
                results.append(
                    {
                        "input": given,
                        "registration_number": number,
                        "result": "found",
                        "status": hit[0],
                        "may_practise": hit[0] in ENTRY_PRACTISING_STATUSES,
                        "conditions": hit[1],
                        "licence_valid_to": hit[2],
                        "message": "",
                    }
                )
                continue
            results.append(
                {
                    "input": given,
                    "registration_number": number,
                    "result": "invalid" if number is None else "not_found",
                    "status": None,
                    "may_practise": None,
                    "conditions": None,
                    "licence_valid_to": None,
                    "message": _("Not a valid registration number: check it for a typing mistake.")
                    if number is None
                    else _("No one is registered under this number."),
                }
            )
        hits = sum(1 for row in results if row["result"] == "found")
        search_counted(channel="api", kind="bulk", outcome="found", times=hits)
        search_counted(channel="api", kind="bulk", outcome="none", times=len(results) - hits)
        return Response({"as_at": timezone.now(), "checked": len(results), "found": hits, "results": results})


class _EmployerApiView(_PublicApiView):
    permission_classes = [HasApiKey]

    def _key(self, request: Request) -> ApiKey:
        assert isinstance(request.auth, ApiKey)  # noqa: S101 - HasApiKey ran first
        return request.auth


class Roster(_EmployerApiView):
    @extend_schema(
        operation_id="roster_list",
        summary="Your organisation's roster, with each person's standing today",
        parameters=[RosterQuerySerializer],
        responses={200: RosterResponseSerializer, **_problems(400, 401, 429)},
    )
    def get(self, request: Request) -> Response:
        query = RosterQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page, size = query.validated_data["page"], query.validated_data["page_size"]
        organisation = self._key(request).organisation
        rows = list(selectors.roster_rows(organisation=organisation))
        chosen = rows[(page - 1) * size : page * size]
        notices = selectors.public_notices_for([row.entry.pk for row in chosen]) if chosen else {}
        optional = selectors.optional_public_fields(getattr(request, "council", None))
        return Response(
            {
                "total": len(rows),
                "page": page,
                "page_size": size,
                "results": [
                    {
                        "reference": row.staff_reference,
                        "flags": list(row.flags),
                        "practitioner": self._record(request, row.entry, notices.get(row.entry.pk, []), optional),
                    }
                    for row in chosen
                ],
            }
        )

    @extend_schema(
        operation_id="roster_add",
        summary="Add registration numbers to your roster (good rows kept, bad rows explained)",
        request=RosterAddSerializer,
        responses={200: RosterAddResponseSerializer, **_problems(400, 401, 415, 429)},
    )
    def post(self, request: Request) -> Response:
        body = RosterAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        key = self._key(request)
        try:
            outcome = services.roster_add_numbers(
                actor=key.created_by, organisation=key.organisation, numbers=body.validated_data["registration_numbers"]
            )
        except ApplicationError as error:
            raise serializers.ValidationError({"registration_numbers": [str(error)]}) from error
        return Response(
            {"total": outcome.total, "added": outcome.added, "already": outcome.already, "errors": outcome.errors}
        )


class RosterItem(_EmployerApiView):
    @extend_schema(
        operation_id="roster_remove",
        summary="Take someone off your roster",
        responses={204: None, **_problems(401, 404, 429)},
    )
    def delete(self, request: Request, registration_number: str) -> Response:
        key = self._key(request)
        number = normalise_registration_number(registration_number)
        try:
            if number is None:  # never sent to the database as given (a NUL in it would be a server error)
                raise RosterEntry.DoesNotExist
            services.roster_remove(actor=key.created_by, organisation=key.organisation, registration_number=number)
        except (RosterEntry.DoesNotExist, ApplicationError):
            return problem(
                status_code=404, title=_("Not found"), kind="not-found", detail=_("That number is not on your roster.")
            )
        return Response(status=204)


class Categories(_PublicApiView):
    read_only = True

    @extend_schema(
        operation_id="categories_list",
        summary="The register's categories (for the search filter)",
        responses={200: CategorySerializer(many=True), **_problems(401, 429)},
    )
    def get(self, request: Request) -> Response:
        return Response(list(RegisterCategory.objects.order_by("display_order", "name").values("code", "name")))
