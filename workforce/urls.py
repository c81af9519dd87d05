from django.urls import path

from workforce import views

app_name = "workforce"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("children/", views.child_population, name="child-population"),
    path("<slug:figure>.<slug:file_format>", views.export, name="export"),
]
