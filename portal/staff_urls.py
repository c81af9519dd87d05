from django.urls import path

from portal import views_staff as views

app_name = "verification_staff"

urlpatterns = [
    path("statistics/", views.search_statistics, name="statistics"),
    path("register.csv", views.register_export, name="register-export"),
]
