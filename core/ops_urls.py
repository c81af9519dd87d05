"""The operational endpoints, at the site's root (config/urls.py). Their paths are also in
core.middleware.WITHOUT_COUNCIL_PATHS: they must answer without reading the Council row."""

from django.urls import path

from core import views

urlpatterns = [
    path("health/", views.health, name="health"),
    path("metrics", views.metrics, name="metrics"),
]
