"""The impact dashboard's URLs, mounted under the admin prefix (``solidaire/urls.py``)."""

from django.urls import path

from . import impact_views as views

app_name = "impact"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/<slug:table>.<str:file_format>", views.export, name="export"),
    path("appels/<int:pk>/", views.call_impact, name="call"),
    path(
        "appels/<int:pk>/export/<slug:table>.<str:file_format>",
        views.export,
        name="call_export",
    ),
    path("appels/<int:pk>/rapport.pdf", views.report_pdf, name="report"),
    path("appels/<int:pk>/rapport/archiver/", views.archive_report, name="archive_report"),
]
