"""The URLconf. Every view declares its access rule (core.access); undeclared URLs are denied."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("core.ops_urls")),  # /health/ and /metrics
    path("", include("portal.urls")),
    path("apply/", include("registry.urls")),
    path("my-record/", include("registry.practitioner_urls")),
    path(".well-known/", include("portal.views_keys")),
    path("api/v1/", include("portal.api_urls")),
    path("employer/", include("portal.employer_urls")),
    path("staff/verification/", include("portal.staff_urls")),  # council-verification-keys.json
    path("licence/", include("licensing.urls")),
    path("exams/", include("exams.urls")),
    path("cpd/provider/", include("cpd.provider_urls")),
    path("cpd/", include("cpd.urls")),
    path("complaints/", include("discipline.urls")),
    path("staff/finance/", include("licensing.finance_urls")),
    path("staff/renewals/", include("licensing.renewals_urls")),
    path("staff/exams/", include("exams.staff_urls")),
    path("staff/cpd/", include("cpd.staff_urls")),
    path("staff/conduct/", include("discipline.staff_urls")),
    path("staff/panel/", include("discipline.panel_urls")),
    path("staff/workforce/", include("workforce.urls")),
    path("staff/retention/", include("retention.urls")),
    path("open-data/", include("workforce.open_data_urls")),
    path("staff/", include("legacy.urls")),
    path("your-data/", include("privacy.urls")),
    path("staff/people/", include("privacy.staff_urls")),
    path("staff/", include("registry.staff_urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
