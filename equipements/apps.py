from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EquipementsConfig(AppConfig):
    name = "equipements"
    verbose_name = _("Matériel et logistique")

    def ready(self):
        # Registers this app's document renderers with solidaire.documents, and receives
        # the calls' signals (a selected application gets its allocation).
        from . import documents, impact_documents, signals  # noqa: F401, PLC0415
