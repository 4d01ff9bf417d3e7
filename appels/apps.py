from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppelsConfig(AppConfig):
    name = "appels"
    verbose_name = _("Appels à projets")

    def ready(self):
        # The app's document renderers (registered with solidaire.documents), and the
        # receivers keeping the reviews' stored totals when a criterion changes.
        from . import documents, signals  # noqa: F401, PLC0415
