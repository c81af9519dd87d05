from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("register/", views.register_search, name="register-search"),
    path("register/<str:registration_number>/", views.register_record, name="register-record"),
]
