from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views

app_name = "centres"

urlpatterns = [
    path("compte/connexion/", views.LoginView.as_view(), name="login"),
    path("compte/deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "compte/mot-de-passe/oublie/",
        auth_views.PasswordResetView.as_view(
            success_url=reverse_lazy("centres:password_reset_done"),
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "compte/mot-de-passe/envoye/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "compte/mot-de-passe/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("centres:password_reset_complete")
        ),
        name="password_reset_confirm",
    ),
    path(
        "compte/mot-de-passe/change/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "compte/invitation/<uidb64>/<token>/",
        views.InvitationAcceptView.as_view(),
        name="invitation_accept",
    ),
    path("compte/preferences/", views.PreferencesView.as_view(), name="preferences"),
    path("compte/mes-donnees/", views.MyDataView.as_view(), name="my_data"),
    path("compte/mes-donnees/export/", views.MyDataExportView.as_view(), name="my_data_export"),
    path(
        "compte/mes-donnees/effacement/",
        views.MyDataDeletionView.as_view(),
        name="my_data_deletion",
    ),
    path("mon-centre/", views.MyCentreView.as_view(), name="my_centre"),
    path("mon-centre/modifier/", views.CentreProfileEditView.as_view(), name="profile_edit"),
    path("mon-centre/sites/nouveau/", views.SiteEditView.as_view(), name="site_create"),
    path("mon-centre/sites/<int:pk>/", views.SiteEditView.as_view(), name="site_edit"),
    path("mon-centre/inviter/", views.InviteColleagueView.as_view(), name="invite"),
    path("mon-centre/signataires/", views.SignatoriesView.as_view(), name="signatories"),
]
