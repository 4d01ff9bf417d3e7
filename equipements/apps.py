from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EquipementsConfig(AppConfig):
    name = "equipements"
    verbose_name = _("Matériel et logistique")

    def ready(self):
        # Registers this app's document renderers with solidaire.documents.
        from . import documents, impact_documents  # noqa: F401, PLC0415
