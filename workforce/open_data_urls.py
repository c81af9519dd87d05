from django.urls import path

from workforce import views

app_name = "open_data"

urlpatterns = [
    path("", views.open_data, name="workforce"),
    path("workforce.csv", views.open_data_csv, name="workforce-csv"),
]
