from django.urls import path

from registry.views import practitioner

app_name = "practitioner"

urlpatterns = [
    path("public-register/", practitioner.public_details, name="public-details"),
]
