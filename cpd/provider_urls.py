from django.urls import path

from cpd.views import provider

app_name = "cpd_provider"

urlpatterns = [
    path("", provider.home, name="home"),
    path("apply/", provider.apply, name="apply"),
    path("<int:provider_id>/activities/", provider.activity_submit, name="activity-submit"),
    path("activities/<int:activity_id>/", provider.activity, name="activity"),
    path("activities/<int:activity_id>/attendance/", provider.attendance_upload, name="attendance-upload"),
    path("uploads/<int:upload_id>/", provider.upload, name="upload"),
]
