from django.urls import path

from licensing.views import renewals

app_name = "renewals"

urlpatterns = [
    path("at-risk/", renewals.at_risk, name="at-risk"),
    path("at-risk/<int:entry_id>/<int:year>/remind/", renewals.at_risk_remind, name="at-risk-remind"),
    path("restorations/", renewals.restorations, name="restorations"),
    path("restorations/<int:restoration_id>/", renewals.restoration_detail, name="restoration-detail"),
    path("restorations/<int:restoration_id>/decide/", renewals.restoration_decide, name="restoration-decide"),
    path("register/<int:entry_id>/<int:year>/extension/", renewals.extension_grant, name="extension-grant"),
]
