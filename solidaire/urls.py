from django.conf import settings
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "solidaire"
admin.site.site_title = "solidaire"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    # The impact dashboard lives under the admin prefix, before the admin's own catch-all.
    path(f"{settings.ADMIN_URL}impact/", include("equipements.impact_urls")),
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("centres.urls")),
    path("", include("appels.urls")),
    path("", include("equipements.urls")),
]

# A lost database answers 503 with a short page to try again, not a 500 (solidaire.unavailable).
handler500 = "solidaire.unavailable.server_error"
