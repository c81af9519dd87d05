from django.urls import path

from retention import views

app_name = "retention"

urlpatterns = [
    path("", views.review, name="review"),
    path("<slug:record_type>/", views.flags, name="flags"),
    path("<slug:record_type>/decide/", views.decide, name="decide"),
]
