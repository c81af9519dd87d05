from django.urls import path

from registry.views import applicant

app_name = "registry"

urlpatterns = [
    path("", applicant.application_list, name="application-list"),
    path("new/", applicant.application_start, name="application-start"),
    path("<int:application_id>/", applicant.application_detail, name="application-detail"),
    path("<int:application_id>/step/<slug:step>/", applicant.application_step, name="application-step"),
    path("<int:application_id>/check/", applicant.application_check, name="application-check"),
    path("<int:application_id>/respond/", applicant.application_respond, name="application-respond"),
    path("<int:application_id>/withdraw/", applicant.application_withdraw, name="application-withdraw"),
    path(
        "<int:application_id>/documents/<int:document_id>/",
        applicant.application_document,
        name="application-document",
    ),
]
