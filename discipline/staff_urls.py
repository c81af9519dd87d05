from django.urls import path

from discipline.views import staff

app_name = "conduct"

urlpatterns = [
    path("", staff.dashboard, name="dashboard"),
    path("cases/", staff.cases, name="cases"),
    path("complaints/<int:complaint_id>/", staff.complaint, name="complaint"),
    path("complaints/<int:complaint_id>/triage/", staff.complaint_triage, name="complaint-triage"),
    path(
        "complaints/<int:complaint_id>/attachments/<int:attachment_id>/",
        staff.complaint_attachment,
        name="complaint-attachment",
    ),
    path("cases/<int:case_id>/", staff.case, name="case"),
    path("cases/<int:case_id>/assign/", staff.case_assign, name="case-assign"),
    path("cases/<int:case_id>/team/", staff.case_team, name="case-team"),
    path("cases/<int:case_id>/charge/", staff.case_charge, name="case-charge"),
    path("cases/<int:case_id>/close/", staff.case_close, name="case-close"),
    path("cases/<int:case_id>/documents/", staff.document_add, name="document-add"),
    path("cases/<int:case_id>/documents/<int:document_id>/", staff.document, name="document"),
    path("cases/<int:case_id>/interim-orders/", staff.interim_order_make, name="interim-order-make"),
    path(
        "cases/<int:case_id>/interim-orders/<int:order_id>/revoke/",
        staff.interim_order_revoke,
        name="interim-order-revoke",
    ),
    path("cases/<int:case_id>/hearings/", staff.hearing_schedule, name="hearing-schedule"),
    path("cases/<int:case_id>/hearings/<int:hearing_id>/adjourn/", staff.hearing_adjourn, name="hearing-adjourn"),
    path("cases/<int:case_id>/appeals/", staff.appeal_lodge, name="appeal-lodge"),
    path("cases/<int:case_id>/appeals/<int:appeal_id>/decide/", staff.appeal_decide, name="appeal-decide"),
]
