from django.urls import path

from legacy import views

app_name = "legacy"

urlpatterns = [
    path("legacy-import/", views.imports, name="imports"),
    path("legacy-import/<int:legacy_import_id>/", views.preview, name="import"),
    path("legacy-import/<int:legacy_import_id>/columns/", views.columns, name="columns"),
    path("legacy-import/<int:legacy_import_id>/problems.csv", views.problems_csv, name="problems"),
    path("legacy-import/<int:legacy_import_id>/import/", views.commit, name="commit"),
    path("legacy-import/<int:legacy_import_id>/discard/", views.discard, name="discard"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/<int:pair_id>/", views.pair, name="pair"),
    path("duplicates/<int:pair_id>/merge/", views.merge, name="merge"),
    path("duplicates/<int:pair_id>/dismiss/", views.dismiss, name="dismiss"),
]
