from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.your_data, name="your-data"),
    path("data.<slug:file_format>", views.your_data_download, name="download"),
]
