from django.urls import path

from portal import views_employer as views

app_name = "employer"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("roster/upload/", views.roster_upload, name="roster-upload"),
    path("roster/uploads/<int:roster_upload_id>/", views.upload_result, name="upload"),
    path("roster/<int:roster_id>/remove/", views.roster_remove, name="roster-remove"),
    path("roster.csv", views.roster_csv, name="roster-csv"),
    path("roster.pdf", views.roster_pdf_download, name="roster-pdf"),
    path("keys/", views.api_keys, name="keys"),
    path("keys/<int:key_id>/revoke/", views.api_key_revoke, name="key-revoke"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/webhook-secret/", views.webhook_secret_rotate, name="webhook-secret"),
    path("alerts/deliveries/<int:delivery_id>/resend/", views.delivery_resend, name="delivery-resend"),
]
