from django.urls import path

from privacy import views

app_name = "privacy_staff"

urlpatterns = [
    path("<int:practitioner_id>/data/", views.person_data, name="person"),
    path("<int:practitioner_id>/data.<slug:file_format>", views.person_data_download, name="download"),
]
