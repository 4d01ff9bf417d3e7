"""Calls for projects, what they offer and how projects are evaluated."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from solidaire.states import Lifecycle


class PackType(models.Model):
    """A kind of pack a call can offer: a computer pack, a fleet of tablets…

    It lives with the calls (not with the stock) because a call's offers point to it and
    imports go ``centres <- appels <- equipements``; items in stock point to it too.
    """

    class Kind(models.TextChoices):
        DESKTOP = "desktop", _("ordinateur fixe avec écran")
        LAPTOP = "laptop", _("ordinateur portable")
        TABLET = "tablet", _("tablette")

    name = models.CharField(_("nom"), max_length=150, unique=True)
    kind = models.CharField(_("type de matériel"), max_length=20, choices=Kind.choices)
    units_per_pack = models.PositiveSmallIntegerField(
        _("appareils par pack"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("Nombre d’appareils principaux dans un pack (6 pour une flotte de 6)."),
    )
    composition = models.TextField(
        _("composition"),
        blank=True,
        help_text=_("Par exemple : unité centrale, écran 19 pouces, clavier, souris, logiciels."),
    )
    market_value = models.DecimalField(
        _("valeur neuve estimée d’un pack (€)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    is_active = models.BooleanField(_("au catalogue"), default=True)

    class Meta:
        verbose_name = _("type de pack")
        verbose_name_plural = _("types de pack")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(units_per_pack__gte=1), name="packtype_units_positive"
            ),
            models.CheckConstraint(
                condition=Q(market_value__gte=0), name="packtype_market_value_not_negative"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_computer(self):
        return self.kind in (self.Kind.DESKTOP, self.Kind.LAPTOP)


class CallStatus(models.TextChoices):
    DRAFT = "draft", _("en préparation")
    OPEN = "open", _("ouvert aux candidatures")
    REVIEW = "review", _("en évaluation")
    DECIDED = "decided", _("résultats publiés")
    ARCHIVED = "archived", _("archivé")


CALL_LIFECYCLE = Lifecycle(
    CallStatus,
    {
        CallStatus.DRAFT: [CallStatus.OPEN],
        CallStatus.OPEN: [CallStatus.REVIEW],
        CallStatus.REVIEW: [CallStatus.DECIDED],
        CallStatus.DECIDED: [CallStatus.ARCHIVED],
    },
)


class CallQuerySet(models.QuerySet):
    def accepting_applications(self, now=None):
        now = now or timezone.now()
        return self.filter(status=CallStatus.OPEN, opens_at__lte=now, closes_at__gt=now)

    def published(self):
        return self.filter(status__in=[CallStatus.DECIDED, CallStatus.ARCHIVED])

    def public(self):
        return self.exclude(status=CallStatus.DRAFT)


class Call(models.Model):
    """An edition of a solidarity equipment call for projects ("appel à projets")."""

    class ConflictRule(models.TextChoices):
        NONE = "none", _("aucune règle d’organisation")
        SAME_ORGANISATION = (
            "same_organisation",
            _("pas d’évaluateur de la fédération régionale ou d’un partenaire du candidat"),
        )

    Status = CallStatus

    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("identifiant d’URL"), max_length=80, unique=True)
    edition = models.CharField(_("édition"), max_length=40, help_text=_("Par exemple 2012–2013."))
    summary = models.CharField(_("résumé"), max_length=300, blank=True)
    description = models.TextField(_("présentation"), blank=True)
    status = models.CharField(
        _("statut"), max_length=20, choices=CallStatus.choices, default=CallStatus.DRAFT
    )
    opens_at = models.DateTimeField(_("ouverture des candidatures"))
    closes_at = models.DateTimeField(_("date limite de candidature"))
    review_ends_at = models.DateTimeField(_("fin de l’évaluation"), null=True, blank=True)
    results_published_at = models.DateTimeField(
        _("résultats publiés le"), null=True, blank=True, editable=False
    )
    requires_aim = models.BooleanField(
        _("finalité sociale ou environnementale demandée"), default=False
    )
    reviewers_per_application = models.PositiveSmallIntegerField(
        _("évaluateurs par candidature"), default=2, validators=[MinValueValidator(1)]
    )
    conflict_rule = models.CharField(
        _("règle de conflit d’intérêts"),
        max_length=30,
        choices=ConflictRule.choices,
        default=ConflictRule.SAME_ORGANISATION,
    )
    is_blind_review = models.BooleanField(
        _("évaluation en aveugle"),
        default=False,
        help_text=_(
            "Un évaluateur ne voit pas les autres évaluations avant d’avoir rendu la sienne."
        ),
    )
    confirm_after_signature = models.BooleanField(
        _("confirmer l’attribution après signature de la convention"),
        default=True,
        help_text=_(
            "Une attribution ne se confirme qu’une fois la convention signée par le centre. "
            "Décochez pour confirmer avant la signature."
        ),
    )
    invoice_on_delivery = models.BooleanField(
        _("facturer à la confirmation de réception"),
        default=True,
        help_text=_("Sinon la facture est émise dès la confirmation de l’attribution."),
    )
    partners = models.ManyToManyField(
        "centres.Partner", through="CallPartner", verbose_name=_("partenaires"), blank=True
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    objects = CallQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appel à projets")
        verbose_name_plural = _("appels à projets")
        ordering = ["-opens_at"]
        indexes = [models.Index(fields=["status", "closes_at"], name="call_status_closes")]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="call_closes_after_opening"
            ),
            models.CheckConstraint(
                condition=Q(review_ends_at__isnull=True)
                | Q(review_ends_at__gte=models.F("closes_at")),
                name="call_review_ends_after_closing",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.edition})"

    def is_accepting_applications(self, now=None):
        now = now or timezone.now()
        return self.status == CallStatus.OPEN and self.opens_at <= now < self.closes_at

    @property
    def is_published(self):
        return self.status in (CallStatus.DECIDED, CallStatus.ARCHIVED)


class CallPartner(models.Model):
    """The part an organisation plays in a call."""

    class Role(models.TextChoices):
        ORGANISER = "organiser", _("organisateur")
        OPERATOR = "operator", _("opérateur")
        REFURBISHER = "refurbisher", _("reconditionneur")
        FUNDER = "funder", _("financeur")
        DONOR = "donor", _("donateur de matériel")

    call = models.ForeignKey(
        Call, verbose_name=_("appel"), on_delete=models.CASCADE, related_name="call_partners"
    )
    partner = models.ForeignKey(
        "centres.Partner",
        verbose_name=_("partenaire"),
        on_delete=models.PROTECT,
        related_name="call_roles",
    )
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("partenaire de l’appel")
        verbose_name_plural = _("partenaires de l’appel")
        ordering = ["call", "role", "partner"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "partner", "role"], name="callpartner_unique_role"
            ),
            models.UniqueConstraint(
                fields=["call"], condition=Q(role="operator"), name="callpartner_one_operator"
            ),
        ]

    def __str__(self):
        return f"{self.partner} – {self.get_role_display()}"


class CallOffer(models.Model):
    """What a call offers: a pack type, how many, at which solidarity price, with a cap."""

    call = models.ForeignKey(
        Call, verbose_name=_("appel"), on_delete=models.CASCADE, related_name="offers"
    )
    pack_type = models.ForeignKey(
        PackType, verbose_name=_("type de pack"), on_delete=models.PROTECT, related_name="offers"
    )
    quantity_available = models.PositiveIntegerField(_("packs disponibles"))
    solidarity_price = models.DecimalField(
        _("prix solidaire d’un pack (€ TTC)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    per_centre_cap = models.PositiveIntegerField(
        _("plafond par centre (packs)"), validators=[MinValueValidator(1)]
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("offre de l’appel")
        verbose_name_plural = _("offres de l’appel")
        ordering = ["call", "pack_type__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "pack_type"], name="offer_unique_pack_per_call"
            ),
            models.CheckConstraint(
                condition=Q(solidarity_price__gte=0), name="offer_price_not_negative"
            ),
            models.CheckConstraint(condition=Q(per_centre_cap__gte=1), name="offer_cap_positive"),
        ]

    def __str__(self):
        return f"{self.pack_type} – {self.call.edition}"


class Criterion(models.Model):
    """A line of a call's evaluation grid, with its weight and maximum score."""

    call = models.ForeignKey(
        Call, verbose_name=_("appel"), on_delete=models.CASCADE, related_name="criteria"
    )
    name = models.CharField(_("critère"), max_length=150)
    description = models.TextField(_("ce qui est attendu"), blank=True)
    weight = models.DecimalField(
        _("pondération"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    max_score = models.PositiveSmallIntegerField(
        _("note maximale"), default=5, validators=[MinValueValidator(1)]
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("critère d’évaluation")
        verbose_name_plural = _("critères d’évaluation")
        ordering = ["call", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["call", "name"], name="criterion_unique_name"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_positive"),
            models.CheckConstraint(condition=Q(max_score__gte=1), name="criterion_max_positive"),
        ]

    def __str__(self):
        return self.name
