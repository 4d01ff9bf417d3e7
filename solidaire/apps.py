from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SolidaireConfig(AppConfig):
    name = "solidaire"
    verbose_name = _("Documents")
