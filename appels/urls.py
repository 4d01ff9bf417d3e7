from django.urls import path

from . import document_views, views

app_name = "appels"

urlpatterns = [
    path("appels/", views.CallListView.as_view(), name="call_list"),
    path("appels/<slug:slug>/", views.CallDetailView.as_view(), name="call_detail"),
    path("appels/<slug:slug>/resultats/", views.CallResultsView.as_view(), name="results"),
    path(
        "appels/<slug:slug>/candidater/",
        views.StartApplicationView.as_view(),
        name="application_start",
    ),
    path("mon-espace/", views.DashboardView.as_view(), name="dashboard"),
    path(
        "candidatures/<int:pk>/", views.ApplicationDetailView.as_view(), name="application_detail"
    ),
    path(
        "candidatures/<int:pk>/etape/<slug:step>/",
        views.ApplicationStepView.as_view(),
        name="application_step",
    ),
    path(
        "candidatures/<int:pk>/deposer/",
        views.SubmitApplicationView.as_view(),
        name="application_submit",
    ),
    path(
        "candidatures/<int:pk>/retirer/",
        views.WithdrawApplicationView.as_view(),
        name="application_withdraw",
    ),
    path(
        "candidatures/<int:pk>/pieces/<int:attachment_pk>/",
        views.AttachmentDownloadView.as_view(),
        name="attachment_download",
    ),
    path(
        "candidatures/<int:pk>/pieces/<int:attachment_pk>/supprimer/",
        views.RemoveAttachmentView.as_view(),
        name="attachment_remove",
    ),
    path("candidatures/<int:pk>/convention/", views.AgreementView.as_view(), name="agreement"),
    path(
        "candidatures/<int:pk>/convention/pdf/",
        document_views.AgreementPdfView.as_view(),
        name="agreement_pdf",
    ),
]
