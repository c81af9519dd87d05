from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("register/", views.register_search, name="register-search"),
    path("register/<str:registration_number>/", views.register_record, name="register-record"),
    path("register/<str:registration_number>/statement/", views.statement, name="statement"),
    path("register/<str:registration_number>/statement.pdf", views.statement_pdf_download, name="statement-pdf"),
    path("register/<str:registration_number>/statement.json", views.statement_json, name="statement-json"),
    path("verify/<str:reference>/", views.statement_check, name="statement-check"),
]
