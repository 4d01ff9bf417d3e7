from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SolidaireConfig(AppConfig):
    name = "solidaire"
    verbose_name = _("Documents")

    def ready(self):
        from . import checks  # noqa: F401, PLC0415 - registers the deployment checks
