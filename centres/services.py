"""Use cases of the network directory: centre profile, sites, colleagues' invitations."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from solidaire.errors import DomainError
from solidaire.states import transition

from .models import DATA_REQUEST_LIFECYCLE, DataRequest, Membership, Site, User
from .privacy import Identity, erase_personal_texts

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
def set_signatories(centre, *, by_membership, memberships):
    """The referent names who, besides themself, signs the centre's agreements.

    ``memberships`` are the centre's colleagues who may sign; every other colleague may
    not. Returns the number of memberships whose right changed.
    """
    check_referent(by_membership)
    chosen = {m.pk for m in memberships}
    colleagues = centre.memberships.select_for_update().filter(is_referent=False)
    if chosen - set(colleagues.values_list("pk", flat=True)):
        raise DomainError(_("Choisissez les signataires parmi les membres du centre."))
    granted = colleagues.filter(pk__in=chosen, may_sign_agreements=False).update(
        may_sign_agreements=True
    )
    revoked = (
        colleagues.exclude(pk__in=chosen)
        .filter(may_sign_agreements=True)
        .update(may_sign_agreements=False)
    )
    return granted + revoked


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


# --- Privacy (RGPD) ---------------------------------------------------------------------


@transaction.atomic
def record_data_export(user):
    """An export is served at once; the request is kept as evidence that it was answered."""
    return DataRequest.objects.create(
        user=user,
        kind=DataRequest.Kind.EXPORT,
        status=DataRequest.Status.DONE,
        processed_at=timezone.now(),
    )


@transaction.atomic
def request_data_deletion(user, *, message=""):
    """A person asks for their personal data to be erased; one pending request at a time."""
    User.objects.select_for_update().get(pk=user.pk)  # two clicks at once: one request
    pending = DataRequest.objects.filter(
        user=user, kind=DataRequest.Kind.DELETION, status=DataRequest.Status.PENDING
    ).first()
    if pending is not None:
        raise DomainError(
            _("Votre demande d’effacement du %(date)s est déjà en cours de traitement.")
            % {"date": formats.date_format(timezone.localtime(pending.requested_at))},
            code="already_requested",
        )
    return DataRequest.objects.create(
        user=user, kind=DataRequest.Kind.DELETION, message=message.strip()[:2000]
    )


def anonymous_email(user):
    return f"anonyme-{user.pk}@anonyme.invalid"


@transaction.atomic
def anonymise_user(user, *, by):
    """Replace a person's identity by a placeholder and close the account for good.

    Name, phone and e-mail are replaced (the e-mail by a unique placeholder), the password
    made unusable, the account deactivated, rights and memberships removed, login records
    deleted; the free texts they wrote (support tickets, survey testimonials) are erased and
    the sites naming them as contact lose that contact (``privacy.register_eraser``).
    What the law requires to keep is left as it is: issued invoices and the
    signer's name printed on signed agreements (snapshots, not links to the account).
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_superuser:
        raise DomainError(
            _("Un super-utilisateur ne s’anonymise pas : retirez-lui d’abord ce statut."),
            code="superuser",
        )
    if by is not None and by.pk == user.pk:
        raise DomainError(_("On ne traite pas sa propre demande d’effacement."), code="self")
    identity = Identity(
        user_id=user.pk,
        email=user.email,
        phone=user.phone,
        full_name=user.get_full_name(),
        centre_ids=tuple(Membership.objects.filter(user=user).values_list("centre_id", flat=True)),
    )
    old_email = user.email
    user.email = anonymous_email(user)
    user.first_name = ""
    user.last_name = str(_("Personne anonymisée"))
    user.phone = ""
    user.organisation = None
    user.review_emails = False
    user.is_active = False
    user.is_staff = False
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    Membership.objects.filter(user=user).delete()
    if "axes" in settings.INSTALLED_APPS:
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog  # noqa: PLC0415

        for model in (AccessAttempt, AccessFailureLog, AccessLog):
            model.objects.filter(username__iexact=old_email).delete()
    DataRequest.objects.filter(user=user).update(message="")
    # Free texts the person wrote (tickets, testimonials) and sites naming them as contact.
    erase_personal_texts(identity)
    return user


@transaction.atomic
def process_deletion_request(data_request, *, by):
    """A programme manager grants a pending deletion request: the person is anonymised."""
    data_request = DataRequest.objects.select_for_update().get(pk=data_request.pk)
    if data_request.kind != DataRequest.Kind.DELETION:
        raise DomainError(_("Seule une demande d’effacement se traite ainsi."), code="kind")
    transition(
        data_request,
        DataRequest.Status.DONE,
        DATA_REQUEST_LIFECYCLE,
        save=False,
    )
    anonymise_user(data_request.user, by=by)
    data_request.processed_at = timezone.now()
    data_request.processed_by = by
    data_request.save(update_fields=["status", "processed_at", "processed_by"])
    return data_request
