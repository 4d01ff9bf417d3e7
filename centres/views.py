from django.contrib.auth import views as auth_views
from django.urls import reverse


class LoginView(auth_views.LoginView):
    """Login by e-mail; centre staff land on their space, platform staff on the admin."""

    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        if self.request.user.is_staff and not self.request.user.memberships.exists():
            return reverse("admin:index")
        return reverse("appels:dashboard")
