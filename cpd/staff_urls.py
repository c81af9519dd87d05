from django.urls import path

from cpd.views import staff

app_name = "cpd_staff"

urlpatterns = [
    path("", staff.dashboard, name="dashboard"),
    path("providers/<int:provider_id>/decide/", staff.provider_decide, name="provider-decide"),
    path("activities/<int:activity_id>/decide/", staff.activity_decide, name="activity-decide"),
    path("exemptions/", staff.exemption_grant, name="exemption-grant"),
    path("audits/", staff.audits, name="audits"),
    path("audits/draws/<int:draw_id>/", staff.draw, name="draw"),
    path("audits/<int:audit_id>/", staff.audit, name="audit"),
    path("audits/<int:audit_id>/decide/", staff.audit_decide, name="audit-decide"),
    path("audits/<int:audit_id>/evidence/<int:activity_id>/", staff.audit_evidence, name="audit-evidence"),
]
