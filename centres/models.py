"""The network directory: people, member centres, their sites and partner organisations."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from solidaire.states import Lifecycle

from .geography import DEPARTMENT_CHOICES, Region, region_of
from .validators import validate_postal_code, validate_siret


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an e-mail address: centre staff or platform staff."""

    email = models.EmailField(_("adresse e-mail"), unique=True)
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(pgettext_lazy("personne", "nom"), max_length=150, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    organisation = models.ForeignKey(
        "centres.Partner",
        verbose_name=_("organisation"),
        help_text=_("Pour les évaluateurs et le personnel : l’organisation partenaire d’attache."),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
    )
    is_staff = models.BooleanField(
        _("accès à l’administration"),
        default=False,
        help_text=_("Permet de se connecter à l’interface d’administration."),
    )
    is_active = models.BooleanField(_("actif"), default=True)
    review_emails = models.BooleanField(
        _("e-mails d’évaluation"),
        default=True,
        help_text=_(
            "Pour les évaluateurs : recevoir un e-mail à chaque dossier confié et un rappel "
            "avant la fin de l’évaluation."
        ),
    )
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        ordering = ["last_name", "first_name", "email"]

    def __str__(self):
        return self.get_full_name() or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self):
        return self.first_name or self.email


class Partner(models.Model):
    """An organisation taking part in calls: federation, operator, refurbisher, funder, donor."""

    class Kind(models.TextChoices):
        FEDERATION = "federation", _("fédération")
        OPERATOR = "operator", _("opérateur de solidarité numérique")
        REFURBISHER = "refurbisher", _("reconditionneur")
        FUNDER = "funder", _("financeur")
        DONOR = "donor", _("donateur de matériel")

    name = models.CharField(_("nom"), max_length=200, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("rattachée à"),
        help_text=_("Par exemple la fédération nationale d’une fédération régionale."),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])
    vat_number = models.CharField(_("n° de TVA intracommunautaire"), max_length=20, blank=True)
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("commune"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail de contact"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    website = models.URLField(_("site web"), blank=True)
    region = models.CharField(_("région"), max_length=3, choices=Region.choices, blank=True)

    class Meta:
        verbose_name = _("partenaire")
        verbose_name_plural = _("partenaires")
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "name"], name="partner_kind_name")]

    def __str__(self):
        return self.name

    @property
    def postal_address(self):
        return ", ".join(p for p in (self.address, f"{self.postal_code} {self.city}".strip()) if p)


class CentreQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Centres a user may see: staff see all, centre staff their own centres only."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        return self.filter(memberships__user=user)

    def members_on(self, day):
        return self.filter(membership_valid_until__gte=day)


class Centre(models.Model):
    """A social centre (member of the federation) that applies for equipment."""

    name = models.CharField(_("nom"), max_length=200)
    siret = models.CharField(_("SIRET"), max_length=14, unique=True, validators=[validate_siret])
    fcsf_member_number = models.CharField(
        _("n° d’adhérent FCSF"), max_length=30, blank=True, db_index=True
    )
    membership_valid_until = models.DateField(_("adhésion valable jusqu’au"), null=True, blank=True)
    federation = models.ForeignKey(
        Partner,
        verbose_name=_("fédération régionale"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        limit_choices_to={"kind": Partner.Kind.FEDERATION},
        related_name="member_centres",
    )
    partner_organisations = models.ManyToManyField(
        Partner,
        verbose_name=_("organisations partenaires"),
        help_text=_(
            "Organisations avec lesquelles le centre travaille : leurs évaluateurs ne notent "
            "pas ses projets quand l’appel applique la règle de conflit d’organisation."
        ),
        blank=True,
        related_name="partner_centres",
    )
    address = models.CharField(_("adresse"), max_length=255)
    postal_code = models.CharField(
        _("code postal"), max_length=5, validators=[validate_postal_code]
    )
    city = models.CharField(_("commune"), max_length=120)
    department = models.CharField(_("département"), max_length=3, choices=DEPARTMENT_CHOICES)
    region = models.CharField(_("région"), max_length=3, choices=Region.choices, editable=False)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    objects = CentreQuerySet.as_manager()

    class Meta:
        verbose_name = _("centre social")
        verbose_name_plural = _("centres sociaux")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["region", "department"], name="centre_region_dept"),
            models.Index(fields=["name"], name="centre_name"),
        ]

    def __str__(self):
        return f"{self.name} ({self.city})"

    def save(self, *args, **kwargs):
        self.region = region_of(self.department)
        if kwargs.get("update_fields") is not None and "department" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "region"}
        super().save(*args, **kwargs)

    def is_member_on(self, day):
        return bool(self.fcsf_member_number) and (
            self.membership_valid_until is not None and self.membership_valid_until >= day
        )

    @property
    def is_member(self):
        return self.is_member_on(timezone.localdate())

    @property
    def postal_address(self):
        return f"{self.address}, {self.postal_code} {self.city}"


class Site(models.Model):
    """A place where a centre receives and uses equipment (e.g. a homework-help site)."""

    centre = models.ForeignKey(
        Centre, verbose_name=_("centre"), on_delete=models.CASCADE, related_name="sites"
    )
    name = models.CharField(_("nom du site"), max_length=200)
    address = models.CharField(_("adresse"), max_length=255)
    postal_code = models.CharField(
        _("code postal"), max_length=5, validators=[validate_postal_code]
    )
    city = models.CharField(_("commune"), max_length=120)
    contact_name = models.CharField(_("personne à contacter"), max_length=150, blank=True)
    contact_phone = models.CharField(_("téléphone du contact"), max_length=30, blank=True)
    contact_email = models.EmailField(_("e-mail du contact"), blank=True)
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["centre", "name"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "name"], name="site_unique_name_per_centre"),
        ]

    def __str__(self):
        return f"{self.name} – {self.city}"

    @property
    def postal_address(self):
        return f"{self.address}, {self.postal_code} {self.city}"


class Membership(models.Model):
    """A person working for a centre; exactly one referent per centre at most."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("personne"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    centre = models.ForeignKey(
        Centre, verbose_name=_("centre"), on_delete=models.CASCADE, related_name="memberships"
    )
    is_referent = models.BooleanField(
        _("référent du centre"),
        default=False,
        help_text=_("Le référent gère la fiche du centre, ses sites et invite ses collègues."),
    )
    role = models.CharField(_("fonction"), max_length=120, blank=True)
    may_sign_agreements = models.BooleanField(
        _("signataire des conventions"),
        default=False,
        help_text=_(
            "Nommé par le référent : peut signer les conventions au nom du centre "
            "(le référent le peut toujours)."
        ),
    )
    created_at = models.DateTimeField(_("depuis le"), auto_now_add=True)

    class Meta:
        verbose_name = _("membre d’un centre")
        verbose_name_plural = _("membres des centres")
        ordering = ["centre", "-is_referent", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "centre"], name="membership_unique_user_centre"
            ),
            models.UniqueConstraint(
                fields=["centre"], condition=Q(is_referent=True), name="membership_one_referent"
            ),
        ]

    def __str__(self):
        return f"{self.user} – {self.centre.name}"

    @property
    def may_sign(self):
        """Signs the centre's agreements: its referent, or a signatory the referent named."""
        return self.is_referent or self.may_sign_agreements


# --- Privacy (RGPD) ---------------------------------------------------------------------


class DataRequestStatus(models.TextChoices):
    PENDING = "pending", _("à traiter")
    DONE = "done", _("traitée")
    REFUSED = "refused", _("refusée")


DATA_REQUEST_LIFECYCLE = Lifecycle(
    DataRequestStatus,
    {DataRequestStatus.PENDING: [DataRequestStatus.DONE, DataRequestStatus.REFUSED]},
)


class DataRequest(models.Model):
    """A person's request about their personal data (RGPD), kept as evidence of its handling.

    An export is served at once and recorded done; a deletion waits for a programme manager,
    who anonymises the person from the admin.
    """

    class Kind(models.TextChoices):
        EXPORT = "export", _("export des données")
        DELETION = "deletion", _("effacement des données")

    Status = DataRequestStatus

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("personne"),
        on_delete=models.CASCADE,
        related_name="data_requests",
    )
    kind = models.CharField(_("nature"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("statut"), max_length=20, choices=DataRequestStatus.choices, default="pending"
    )
    message = models.TextField(_("message de la personne"), blank=True, max_length=2000)
    requested_at = models.DateTimeField(_("demandée le"), default=timezone.now)
    processed_at = models.DateTimeField(_("traitée le"), null=True, blank=True)
    processed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("traitée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note de traitement"), blank=True)

    class Meta:
        verbose_name = _("demande RGPD")
        verbose_name_plural = _("demandes RGPD")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(kind="deletion", status="pending"),
                name="datarequest_one_pending_deletion",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.user} ({self.get_status_display()})"


class AccessLog(models.Model):
    """One view of a page showing personal data: who, which object, when, from where."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consulté par"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    accessed_at = models.DateTimeField(_("consulté le"), default=timezone.now, db_index=True)
    object_type = models.CharField(_("type d’objet"), max_length=100)
    object_id = models.CharField(_("identifiant"), max_length=64)
    url_name = models.CharField(_("page"), max_length=100)
    path = models.CharField(_("adresse"), max_length=255)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("consultation de données personnelles")
        verbose_name_plural = _("consultations de données personnelles")
        ordering = ["-accessed_at"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="accesslog_object"),
        ]

    def __str__(self):
        return f"{self.user} – {self.object_type} #{self.object_id}"
