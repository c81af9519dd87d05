from django.urls import path

from cpd.views import practitioner

app_name = "cpd"

urlpatterns = [
    path("", practitioner.overview, name="overview"),
    path("activities/new/", practitioner.activity_new, name="activity-new"),
    path("activities/<int:activity_id>/evidence/", practitioner.activity_evidence, name="activity-evidence"),
    path("transcript.pdf", practitioner.transcript, name="transcript"),
    path("audits/<int:audit_id>/submit/", practitioner.audit_submit, name="audit-submit"),
]
