from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SolidaireConfig(AppConfig):
    name = "solidaire"
    verbose_name = _("Documents")

    def ready(self):
        from . import admin_hardening, checks  # noqa: F401, PLC0415 - deployment checks

        admin_hardening.apply()
