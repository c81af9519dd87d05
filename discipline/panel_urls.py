from django.urls import path

from discipline.views import panel

app_name = "panel"

urlpatterns = [
    path("", panel.hearings, name="hearings"),
    path("hearings/<int:hearing_id>/", panel.hearing, name="hearing"),
    path("hearings/<int:hearing_id>/declare/", panel.declare, name="declare"),
    path("hearings/<int:hearing_id>/decide/", panel.decide, name="decide"),
    path("hearings/<int:hearing_id>/confirm/", panel.confirm, name="confirm"),
    path("hearings/<int:hearing_id>/documents/<int:document_id>/", panel.document, name="document"),
]
