"""Use cases of the network directory: centre profile, sites, colleagues' invitations."""

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils.translation import gettext as _

from solidaire.errors import DomainError

from .models import Membership, Site, User

PROFILE_FIELDS = (
    "name", "siret", "fcsf_member_number", "address", "postal_code", "city", "department",
    "email", "phone",
)  # fmt: skip
SITE_FIELDS = (
    "name", "address", "postal_code", "city", "contact_name", "contact_phone", "contact_email",
    "is_active",
)  # fmt: skip


def check_referent(membership):
    if membership is None or not membership.is_referent:
        raise DomainError(
            _("Seul le référent du centre peut modifier sa fiche, ses sites et inviter."),
            code="not_referent",
        )


@transaction.atomic
def update_centre_profile(centre, *, by_membership, **fields):
    """The referent updates the centre's identity and address (membership dates excluded)."""
    check_referent(by_membership)
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"Not profile fields: {sorted(unknown)}")
    centre = type(centre).objects.select_for_update().get(pk=centre.pk)
    for name, value in fields.items():
        setattr(centre, name, value)
    centre.full_clean()
    centre.save()
    return centre


@transaction.atomic
def save_site(centre, *, by_membership, site=None, **fields):
    """Create or update one of the centre's sites."""
    check_referent(by_membership)
    if site is not None and site.centre_id != centre.pk:
        raise DomainError(_("Ce site n’appartient pas à votre centre."))
    site = site or Site(centre=centre)
    for name, value in fields.items():
        if name not in SITE_FIELDS:
            raise ValueError(f"Not a site field: {name}")
        setattr(site, name, value)
    site.full_clean()
    site.save()
    return site


@transaction.atomic
def invite_colleague(
    centre, *, email, first_name="", last_name="", role="", by_membership=None, by_staff=None
):
    """Add a colleague to a centre and return ``(user, token)`` for the first-login link.

    The referent (or a programme manager, ``by_staff``) invites; an existing account is
    simply added to the centre.
    """
    if by_staff is None:
        check_referent(by_membership)
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User(email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        user.save()
    if Membership.objects.filter(user=user, centre=centre).exists():
        raise DomainError(_("Cette personne fait déjà partie du centre."), code="already_member")
    Membership.objects.create(user=user, centre=centre, role=role)
    return user, default_token_generator.make_token(user)


@transaction.atomic
def update_preferences(user, **fields):
    """A person changes their own name, phone and e-mail preferences."""
    allowed = {"first_name", "last_name", "phone", "review_emails"}
    for name, value in fields.items():
        if name not in allowed:
            raise DomainError(_("Ce champ ne se modifie pas ici."))
        setattr(user, name, value.strip() if isinstance(value, str) else value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=list(fields))
    return user
