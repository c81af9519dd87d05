from django.urls import path

from exams.views import staff

app_name = "exams_staff"

urlpatterns = [
    path("", staff.dashboard, name="dashboard"),
    path("sittings/new/", staff.sitting_create, name="sitting-create"),
    path("sittings/<int:sitting_id>/", staff.sitting_detail, name="sitting"),
    path("sittings/<int:sitting_id>/roster.csv", staff.sitting_roster, name="sitting-roster"),
    path("sittings/<int:sitting_id>/results/", staff.results_upload, name="results-upload"),
    path("sittings/<int:sitting_id>/publish/", staff.results_publish, name="results-publish"),
    path("imports/<int:import_id>/", staff.import_preview, name="import"),
    path("imports/<int:import_id>/errors.csv", staff.import_errors, name="import-errors"),
    path("imports/<int:import_id>/commit/", staff.import_commit, name="import-commit"),
    path("imports/<int:import_id>/discard/", staff.import_discard, name="import-discard"),
    path("results/<int:result_id>/", staff.result_detail, name="result"),
    path("results/<int:result_id>/correct/", staff.result_correct, name="result-correct"),
    path("accommodations/<int:request_id>/decide/", staff.accommodation_decide, name="accommodation-decide"),
    path("conflicts/", staff.conflicts, name="conflicts"),
    path("approvals/", staff.approvals, name="approvals"),
    path("reports/pass-rates/", staff.pass_rates, name="pass-rates"),
    path("reports/pass-rates.csv", staff.pass_rates_csv, name="pass-rates-csv"),
]
