from django.urls import path

from . import document_views, views

app_name = "equipements"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("candidatures/<int:pk>/suivi/", views.FollowUpView.as_view(), name="follow_up"),
    path("candidatures/<int:pk>/enquete/", views.SurveyView.as_view(), name="survey"),
    path(
        "expeditions/<int:pk>/reception/",
        views.ConfirmReceptionView.as_view(),
        name="confirm_reception",
    ),
    path("factures/<int:pk>/", views.InvoiceDetailView.as_view(), name="invoice_detail"),
    path("factures/<int:pk>/pdf/", document_views.InvoicePdfView.as_view(), name="invoice_pdf"),
    path("sav/", views.TicketListView.as_view(), name="ticket_list"),
    path("sav/nouveau/", views.TicketCreateView.as_view(), name="ticket_create"),
    path("sav/<int:pk>/", views.TicketDetailView.as_view(), name="ticket_detail"),
    path(
        "sav/<int:pk>/messages/<int:message_pk>/piece/",
        views.TicketAttachmentView.as_view(),
        name="ticket_attachment",
    ),
    path(
        "sav/<int:pk>/remplacements/<int:shipment_pk>/reception/",
        views.ConfirmReplacementView.as_view(),
        name="confirm_replacement",
    ),
]
