"""/api/v1/: the verification API, its OpenAPI schema and its documentation."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.access import PUBLIC
from portal import api

app_name = "api"


class SchemaView(SpectacularAPIView):
    access_rule = PUBLIC


class DocsView(SpectacularSwaggerView):
    access_rule = PUBLIC


urlpatterns = [
    path("practitioners", api.PractitionerList.as_view(), name="practitioner-list"),
    path(
        "practitioners/<str:registration_number>",
        api.PractitionerDetail.as_view(),
        name="practitioner-detail",
    ),
    path(
        "practitioners/<str:registration_number>/statement",
        api.PractitionerStatement.as_view(),
        name="practitioner-statement",
    ),
    path("verifications", api.Verifications.as_view(), name="verifications"),
    path("roster", api.Roster.as_view(), name="roster"),
    path("roster/<str:registration_number>", api.RosterItem.as_view(), name="roster-item"),
    path("categories", api.Categories.as_view(), name="categories"),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
]
