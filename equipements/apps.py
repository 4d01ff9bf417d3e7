from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EquipementsConfig(AppConfig):
    name = "equipements"
    verbose_name = _("Matériel et logistique")
