"""A person's personal data, gathered for the RGPD export (right of access, art. 15 and 20)
and erased when the person is anonymised (right to erasure, art. 17).

Each app lists what it holds about a person in its own ``privacy.py`` with
:func:`register_section`, and erases the free texts the person wrote with
:func:`register_eraser` (found like admin modules, so ``centres`` imports nothing of the
apps that depend on it).
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from .models import DataRequest, Membership, Site

_SECTIONS = {}
_ERASERS = {}

# What replaces a required free text the person wrote (a ticket's subject, say).
ERASED_TEXT = "[effacé]"

USER_FIELDS = (
    "id", "email", "first_name", "last_name", "phone", "is_active", "is_staff",
    "review_emails", "date_joined", "last_login",
)  # fmt: skip


def register_section(name):
    """Decorator: ``fn(user) -> list | dict`` becomes the export section ``name``."""

    def register(function):
        _SECTIONS[name] = function
        return function

    return register


@dataclass(frozen=True)
class Identity:
    """Who a person was before anonymisation: what their texts and contacts may hold."""

    user_id: int
    email: str
    phone: str
    full_name: str
    centre_ids: tuple


def register_eraser(name):
    """Decorator: ``fn(identity) -> int`` erases (or blanks) what the person wrote; it runs
    inside the anonymisation's transaction and returns how many rows it changed."""

    def register(function):
        _ERASERS[name] = function
        return function

    return register


def erase_personal_texts(identity):
    """Run every app's eraser; return ``{name: rows changed}``."""
    autodiscover_modules("privacy")
    return {name: eraser(identity) for name, eraser in _ERASERS.items()}


@register_eraser("contacts_des_sites")
def site_contacts(identity):
    """Sites naming the person as their contact: by e-mail or phone anywhere, by name in
    the person's own centres. The site stays; its contact fields are blanked."""
    match = Q(contact_email__iexact=identity.email)
    if identity.phone.strip():
        match |= Q(contact_phone=identity.phone)
    if identity.full_name.strip():
        match |= Q(centre_id__in=identity.centre_ids, contact_name__iexact=identity.full_name)
    return Site.objects.filter(match).update(contact_name="", contact_phone="", contact_email="")


@register_section("compte")
def account(user):
    data = {field: getattr(user, field) for field in USER_FIELDS}
    data["organisation"] = str(user.organisation) if user.organisation_id else None
    data["roles"] = list(user.groups.values_list("name", flat=True))
    return data


@register_section("centres")
def memberships(user):
    return list(
        Membership.objects.filter(user=user)
        .order_by("centre__name")
        .values("centre_id", "centre__name", "is_referent", "role", "created_at")
    )


@register_section("demandes_rgpd")
def data_requests(user):
    return list(
        DataRequest.objects.filter(user=user).values(
            "kind", "status", "message", "requested_at", "processed_at"
        )
    )


@register_section("connexions")
def logins(user):
    """Logins and failed attempts recorded by django-axes under the person's e-mail."""
    if "axes" not in settings.INSTALLED_APPS:
        return []
    from axes.models import AccessAttempt, AccessLog  # noqa: PLC0415

    return {
        "connexions": list(
            AccessLog.objects.filter(username__iexact=user.email)
            .order_by("-attempt_time")
            .values("attempt_time", "logout_time", "ip_address", "user_agent")
        ),
        "tentatives_echouees": list(
            AccessAttempt.objects.filter(username__iexact=user.email).values(
                "attempt_time", "ip_address", "user_agent", "failures_since_start"
            )
        ),
    }


def personal_data(user):
    """Every section about ``user``, ready for JSON (dates as ISO strings via the encoder)."""
    autodiscover_modules("privacy")
    data = {"exporte_le": timezone.now(), "personne": user.email}
    for name, section in _SECTIONS.items():
        data[name] = section(user)
    return data
