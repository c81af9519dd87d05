from django.urls import path

from discipline.views import public

app_name = "complaints"

urlpatterns = [
    path("", public.complaint_new, name="new"),
    path("track/<str:token>/", public.complaint_track, name="track"),
]
