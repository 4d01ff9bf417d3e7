"""Signal handlers of the network directory."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

from .roles import ROLE_PERMISSIONS, sync_roles


def sync_roles_after_migrate(sender, *, apps=global_apps, using="default", **kwargs):
    """Keep the role groups in step with ROLE_PERMISSIONS after every migrate (idempotent).

    The roles' permissions are created first: post_migrate reaches this app before the apps
    listed after it in INSTALLED_APPS have had theirs created.
    """
    app_labels = {perm.split(".", 1)[0] for perms in ROLE_PERMISSIONS.values() for perm in perms}
    for app_label in sorted(app_labels):
        create_permissions(
            global_apps.get_app_config(app_label), verbosity=0, using=using, apps=apps
        )
    sync_roles(apps=apps, using=using)
