from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EquipementsConfig(AppConfig):
    name = "equipements"
    verbose_name = _("Matériel et logistique")

    def ready(self):
        from appels.stock import register_stock_counter  # noqa: PLC0415

        # Registers this app's document renderers with solidaire.documents, and receives
        # the calls' signals (a selected application gets its allocation).
        from . import documents, impact_documents, signals  # noqa: F401, PLC0415
        from .logistics import stock_by_pack_type  # noqa: PLC0415

        # The committee's page (appels) shows the stock per pack type without importing
        # this app: see appels.stock.
        register_stock_counter(stock_by_pack_type)
