from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CentresConfig(AppConfig):
    name = "centres"
    verbose_name = _("Réseau des centres")

    def ready(self):
        from .signals import sync_roles_after_migrate  # noqa: PLC0415 - models must be ready

        post_migrate.connect(
            sync_roles_after_migrate, sender=self, dispatch_uid="centres.sync_roles"
        )
