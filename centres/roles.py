"""Platform roles: Django groups whose permissions are kept in sync after every migrate.

A role is data (a group and its permissions), not code: ``sync_roles()`` makes the database
match :data:`ROLE_PERMISSIONS` exactly and may run any number of times. Superusers count as
holding every role.
"""

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS

# Group names are data shown as-is in the admin; they stay plain French strings.
PROGRAMME_MANAGERS = "Chargés de programme"
REVIEWERS = "Évaluateurs"
LOGISTICS = "Logistique"

ALL = ("view", "add", "change", "delete")


def _perms(app_label, models, actions=ALL):
    return [f"{app_label}.{action}_{model}" for model in models for action in actions]


EQUIPMENT_MODELS = (
    "devicemodel",
    "batch",
    "item",
    "dataerasure",
    "allocation",
    "allocationline",
    "allocateditem",
    "shipment",
    "supportticket",
    "ticketmessage",
    "replacementshipment",
    "itemreturn",
    "invoice",
    "invoiceline",
    "invoicecounter",
)

ROLE_PERMISSIONS = {
    PROGRAMME_MANAGERS: [
        *_perms(
            "appels",
            (
                "call",
                "calloffer",
                "criterion",
                "callpartner",
                "packtype",
                "application",
                "decision",
                "agreement",
                "surveyanswer",
                "review",
            ),
        ),
        # Shown inside an application and a review (inlines): reading them is part of deciding.
        *_perms("appels", ("applicationline", "attachment", "score"), ("view",)),
        *_perms("centres", ("partner", "centre", "site", "membership")),
        # RGPD: deletion requests processed in the admin; who viewed personal data.
        *_perms("centres", ("datarequest",), ("view", "change")),
        *_perms("centres", ("accesslog",), ("view",)),
        *_perms("centres", ("user",), ("view", "add", "change")),
        *_perms("equipements", EQUIPMENT_MODELS, ("view",)),
        # The chain of each selected application: read it, act on it in bulk.
        *_perms("equipements", ("selectedapplication",), ("view", "change")),
        # Generated documents: read, download, send again to the workers.
        *_perms("solidaire", ("document",), ("view", "change")),
        # E-mails owed to centres and reviewers: read them, send a failed one again.
        *_perms("solidaire", ("outboxemail",), ("view", "change")),
    ],
    REVIEWERS: [
        *_perms(
            "appels",
            ("application", "applicationline", "attachment", "call", "criterion", "calloffer"),
            ("view",),
        ),
        *_perms("appels", ("review", "score"), ("view", "change")),
    ],
    LOGISTICS: [
        *_perms(
            "equipements",
            (
                "devicemodel",
                "batch",
                "item",
                "dataerasure",
                "allocation",
                "allocationline",
                "allocateditem",
                "shipment",
                "supportticket",
                "ticketmessage",
                "replacementshipment",
                "itemreturn",
            ),
        ),
        # Invoices are immutable once issued: corrections are credit notes.
        *_perms("equipements", ("invoice", "invoiceline"), ("view", "add")),
        *_perms("equipements", ("invoicecounter",), ("view",)),
        *_perms("equipements", ("selectedapplication",), ("view",)),
        *_perms("appels", ("application", "call"), ("view",)),
        *_perms("appels", ("packtype",), ("view", "add", "change")),
        *_perms("centres", ("centre", "site"), ("view",)),
        *_perms("solidaire", ("document",), ("view", "change")),
    ],
}


def sync_roles(*, apps=global_apps, using=DEFAULT_DB_ALIAS):
    """Create the role groups and give each exactly the permissions of ROLE_PERMISSIONS.

    ``apps`` may be a migration state (from ``post_migrate``); nothing happens when the
    auth tables are not migrated yet. Raises ``LookupError`` naming any unknown permission.
    """
    try:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
    except LookupError:
        return
    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    app_labels = {perm.split(".", 1)[0] for perm in wanted}
    known = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.using(using)
        .filter(content_type__app_label__in=app_labels)
        .values_list("pk", "content_type__app_label", "codename")
    }
    missing = sorted(wanted - set(known))
    if missing:
        raise LookupError(f"Unknown permissions in ROLE_PERMISSIONS: {', '.join(missing)}")
    for name, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set([known[perm] for perm in perms])


def _role_names(user):
    # Cached on the user object for the request: a page asks several times.
    if not hasattr(user, "_solidaire_role_names"):
        user._solidaire_role_names = frozenset(user.groups.values_list("name", flat=True))
    return user._solidaire_role_names


def has_role(user, group_name):
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or group_name in _role_names(user)


def is_programme_manager(user):
    return has_role(user, PROGRAMME_MANAGERS)


def is_reviewer(user):
    return has_role(user, REVIEWERS)


def is_logistics(user):
    return has_role(user, LOGISTICS)
