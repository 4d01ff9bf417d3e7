from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppelsConfig(AppConfig):
    name = "appels"
    verbose_name = _("Appels à projets")

    def ready(self):
        # Registers this app's document renderers with solidaire.documents.
        from . import documents  # noqa: F401, PLC0415
