from django.urls import path

from registry.views import staff

app_name = "staff"

urlpatterns = [
    path("", staff.dashboard, name="dashboard"),
    path("applications/", staff.application_queue, name="application-queue"),
    path("applications/<int:application_id>/", staff.application_case, name="application-case"),
    path("applications/<int:application_id>/assign/", staff.application_assign, name="application-assign"),
    path(
        "applications/<int:application_id>/request-information/",
        staff.application_request_information,
        name="application-request-information",
    ),
    path("applications/<int:application_id>/recommend/", staff.application_recommend, name="application-recommend"),
    path("applications/<int:application_id>/decide/", staff.application_decide, name="application-decide"),
    path(
        "applications/<int:application_id>/documents/<int:document_id>/",
        staff.application_document,
        name="application-document",
    ),
    path("register/<int:entry_id>/", staff.register_record, name="register-record"),
    path("register/<int:entry_id>/status/", staff.register_status_change, name="register-status-change"),
]
