"""factory_boy factories for the whole domain.

Defaults describe the most common valid case: a member centre with a site and a staff
member, an open call with one offer, two criteria and an operator that has a SIRET, a
complete draft application asking for one pack. Status fields may be set directly here to
*arrange* a test; the behaviour under test always goes through the services.
"""

import hashlib
from datetime import timedelta
from decimal import Decimal
from functools import cache

import factory
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone
from factory.django import DjangoModelFactory

from appels.models import (
    Agreement,
    AgreementStatus,
    Application,
    ApplicationLine,
    ApplicationStatus,
    Call,
    CallOffer,
    CallPartner,
    CallStatus,
    Criterion,
    Decision,
    PackType,
    Review,
    ReviewStatus,
    Score,
    SurveyAnswer,
)
from centres.models import Centre, Membership, Partner, Site, User
from centres.roles import REVIEWERS
from centres.validators import luhn_is_valid
from equipements.models import (
    AllocatedItem,
    Allocation,
    AllocationLine,
    AllocationStatus,
    Batch,
    DataErasure,
    DeviceModel,
    Grade,
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    Item,
    ItemStatus,
    Provenance,
    Shipment,
    ShipmentStatus,
    SupportTicket,
    TicketMessage,
    TicketStatus,
)
from solidaire.documents import DocumentKind, DocumentStatus, request_document

PASSWORD = "motdepasse-solide-2013"


def siret_for(n):
    """A valid 14-digit SIRET (Luhn) derived from ``n``; never in La Poste's SIREN."""
    base = f"7{n:012d}"
    for check in "0123456789":
        if luhn_is_valid(base + check):
            return base + check
    raise AssertionError("unreachable: one check digit always satisfies Luhn")


@cache
def password_hash():
    """``PASSWORD`` hashed once per process: the default hasher takes half a second."""
    return make_password(PASSWORD)


def today():
    return timezone.localdate()


# --- centres ----------------------------------------------------------------------------


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@example.org")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    password = factory.LazyFunction(password_hash)
    is_active = True


class ReviewerFactory(UserFactory):
    """A staff member holding the reviewer role (the groups are synced after migrate)."""

    is_staff = True

    @factory.post_generation
    def reviewer_role(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get(name=REVIEWERS))


class PartnerFactory(DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partenaire {n}")
    kind = Partner.Kind.FEDERATION
    siret = factory.Sequence(lambda n: siret_for(500_000 + n))
    address = "10 rue de la Solidarité"
    postal_code = "75011"
    city = "Paris"
    email = factory.Sequence(lambda n: f"contact{n}@partenaire.example.org")


class CentreFactory(DjangoModelFactory):
    class Meta:
        model = Centre

    name = factory.Sequence(lambda n: f"Centre social des Tilleuls {n}")
    siret = factory.Sequence(siret_for)
    fcsf_member_number = factory.Sequence(lambda n: f"FCSF-{n:05d}")
    membership_valid_until = factory.LazyFunction(lambda: today() + timedelta(days=365))
    address = "3 place du Marché"
    postal_code = "35000"
    city = "Rennes"
    department = "35"
    email = factory.Sequence(lambda n: f"centre{n}@example.org")


class SiteFactory(DjangoModelFactory):
    class Meta:
        model = Site

    centre = factory.SubFactory(CentreFactory)
    name = factory.Sequence(lambda n: f"Espace de vie sociale {n}")
    address = "5 rue des Écoles"
    postal_code = "35000"
    city = "Rennes"
    contact_name = "Dominique Petit"
    is_active = True


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    centre = factory.SubFactory(CentreFactory)
    is_referent = False
    role = "animatrice multimédia"


# --- calls ------------------------------------------------------------------------------


class PackTypeFactory(DjangoModelFactory):
    class Meta:
        model = PackType

    name = factory.Sequence(lambda n: f"Pack informatique {n}")
    kind = PackType.Kind.DESKTOP
    units_per_pack = 1
    composition = "Unité centrale, écran 19 pouces, clavier, souris"
    market_value = Decimal("450.00")


class CallPartnerFactory(DjangoModelFactory):
    class Meta:
        model = CallPartner

    call = factory.SubFactory("tests.factories.CallFactory", operator=None)
    partner = factory.SubFactory(PartnerFactory, kind=Partner.Kind.OPERATOR)
    role = CallPartner.Role.OPERATOR


class CallFactory(DjangoModelFactory):
    """An open call accepting applications, with ``offers`` offers and ``criteria`` criteria.

    ``CallFactory(offers=0, criteria=0, operator=None)`` gives a bare call.
    """

    class Meta:
        model = Call
        skip_postgeneration_save = True

    title = "Mon centre social numérique et durable"
    slug = factory.Sequence(lambda n: f"appel-{n}")
    edition = factory.Sequence(lambda n: f"{2011 + n % 50}–{2012 + n % 50}")
    summary = "Des ordinateurs reconditionnés pour les centres sociaux"
    status = CallStatus.OPEN
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    conflict_rule = Call.ConflictRule.SAME_ORGANISATION
    invoice_on_delivery = True
    # Most tests are about a later step; the rule "confirm after signature" (the model's
    # default) has its own tests in tests/equipements/test_chain.py.
    confirm_after_signature = False

    operator = factory.RelatedFactory(CallPartnerFactory, factory_related_name="call")

    @factory.post_generation
    def offers(self, create, extracted, **kwargs):
        count = 1 if extracted is None else extracted
        if create:
            for _ in range(count):
                CallOfferFactory(call=self, **kwargs)

    @factory.post_generation
    def criteria(self, create, extracted, **kwargs):
        count = 2 if extracted is None else extracted
        if create:
            for _ in range(count):
                CriterionFactory(call=self, **kwargs)


class CallOfferFactory(DjangoModelFactory):
    class Meta:
        model = CallOffer

    call = factory.SubFactory(CallFactory, offers=0)
    pack_type = factory.SubFactory(PackTypeFactory)
    quantity_available = 10
    solidarity_price = Decimal("90.00")
    per_centre_cap = 3


class CriterionFactory(DjangoModelFactory):
    class Meta:
        model = Criterion

    call = factory.SubFactory(CallFactory, criteria=0)
    name = factory.Sequence(lambda n: f"Critère {n}")
    description = "Qualité du projet de médiation numérique"
    weight = Decimal("1")
    max_score = 5
    position = factory.Sequence(lambda n: n)


# --- applications -----------------------------------------------------------------------


def _first_offer(call):
    offer = call.offers.order_by("pk").first()
    return offer or CallOfferFactory(call=call)


class ApplicationFactory(DjangoModelFactory):
    """A complete application (draft by default) asking for one pack of the first offer.

    ``lines=0`` creates no line; ``lines=n`` asks for ``n`` packs of the first offer.
    """

    class Meta:
        model = Application
        skip_postgeneration_save = True

    call = factory.SubFactory(CallFactory)
    centre = factory.SubFactory(CentreFactory)
    site = factory.SubFactory(SiteFactory, centre=factory.SelfAttribute("..centre"))
    status = ApplicationStatus.DRAFT
    title = "Un espace public numérique au cœur du quartier"
    summary = "Des ateliers d’initiation pour les habitants éloignés du numérique."
    audience = "Seniors, demandeurs d’emploi, familles"
    expected_beneficiaries = 120
    activities = "Ateliers hebdomadaires, accès libre accompagné, aide aux démarches"
    opens_mediation_space = True
    aim = "Réduire la fracture numérique et réemployer du matériel"
    submitted_at = factory.LazyAttribute(
        lambda o: None if o.status == ApplicationStatus.DRAFT else timezone.now()
    )

    @factory.post_generation
    def lines(self, create, extracted, **kwargs):
        quantity = 1 if extracted is None else extracted
        if create and quantity:
            ApplicationLineFactory(
                application=self, offer=_first_offer(self.call), requested_quantity=quantity
            )


class ApplicationLineFactory(DjangoModelFactory):
    class Meta:
        model = ApplicationLine

    application = factory.SubFactory(ApplicationFactory, lines=0)
    offer = factory.LazyAttribute(lambda o: _first_offer(o.application.call))
    requested_quantity = 1


class DecisionFactory(DjangoModelFactory):
    class Meta:
        model = Decision

    application = factory.SubFactory(ApplicationFactory, status=ApplicationStatus.SELECTED)
    outcome = factory.SelfAttribute("application.status")
    decided_at = factory.LazyFunction(timezone.now)


class ReviewFactory(DjangoModelFactory):
    class Meta:
        model = Review

    application = factory.SubFactory(
        ApplicationFactory,
        status=ApplicationStatus.SUBMITTED,
        call__status=CallStatus.REVIEW,
    )
    reviewer = factory.SubFactory(ReviewerFactory)
    status = ReviewStatus.ASSIGNED
    recommendation = factory.LazyAttribute(
        lambda o: "select" if o.status == ReviewStatus.SUBMITTED else ""
    )
    submitted_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == ReviewStatus.SUBMITTED else None
    )
    conflict_reason = factory.LazyAttribute(
        lambda o: "Ancien salarié du centre" if o.status == ReviewStatus.CONFLICT else ""
    )


class ScoreFactory(DjangoModelFactory):
    class Meta:
        model = Score
        skip_postgeneration_save = True

    review = factory.SubFactory(ReviewFactory)
    criterion = factory.LazyAttribute(
        lambda o: o.review.application.call.criteria.order_by("pk").first()
    )
    value = 3

    @factory.post_generation
    def review_total(self, create, extracted, **kwargs):
        """The review's stored total follows, as ``services.save_review`` keeps it."""
        if create:
            from appels.services import refresh_review_totals  # noqa: PLC0415

            refresh_review_totals([self.review])


class AgreementFactory(DjangoModelFactory):
    class Meta:
        model = Agreement

    application = factory.SubFactory(ApplicationFactory, status=ApplicationStatus.SELECTED)
    number = factory.Sequence(lambda n: f"CONV-TEST-{n:05d}")
    status = AgreementStatus.ISSUED
    issued_at = factory.LazyFunction(timezone.now)
    signed_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == AgreementStatus.SIGNED else None
    )
    signer_name = factory.LazyAttribute(
        lambda o: "Claude Bernard" if o.status == AgreementStatus.SIGNED else ""
    )
    signer_role = factory.LazyAttribute(
        lambda o: "Président" if o.status == AgreementStatus.SIGNED else ""
    )
    voided_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == AgreementStatus.VOID else None
    )


class SurveyAnswerFactory(DjangoModelFactory):
    class Meta:
        model = SurveyAnswer

    application = factory.SubFactory(ApplicationFactory, status=ApplicationStatus.SELECTED)
    satisfaction = 4
    equipment_quality = 3
    ease_of_installation = 4
    after_sales_responsiveness = None
    answered_at = factory.LazyFunction(timezone.now)


# --- stock ------------------------------------------------------------------------------


class DeviceModelFactory(DjangoModelFactory):
    class Meta:
        model = DeviceModel

    manufacturer = "Dell"
    name = factory.Sequence(lambda n: f"OptiPlex {700 + n}")
    kind = DeviceModel.Kind.DESKTOP
    weight_kg = Decimal("7.50")


class BatchFactory(DjangoModelFactory):
    class Meta:
        model = Batch

    partner = factory.SubFactory(PartnerFactory, kind=Partner.Kind.REFURBISHER)
    reference = factory.Sequence(lambda n: f"LOT-{n:05d}")
    received_on = factory.LazyFunction(today)


class ItemFactory(DjangoModelFactory):
    class Meta:
        model = Item

    serial_number = factory.Sequence(lambda n: f"SN-{n:08d}")
    asset_tag = factory.Sequence(lambda n: f"INV-{n:06d}")
    device_model = factory.SubFactory(DeviceModelFactory)
    pack_type = factory.SubFactory(PackTypeFactory)
    grade = Grade.A
    provenance = Provenance.REFURBISHED
    provenance_partner = factory.SubFactory(PartnerFactory, kind=Partner.Kind.REFURBISHER)
    status = ItemStatus.IN_STOCK
    received_on = factory.Sequence(lambda n: today() - timedelta(days=1000 - n % 1000))
    end_of_life_on = factory.LazyAttribute(
        lambda o: today() if o.status == ItemStatus.RECYCLED else None
    )
    end_of_life_destination = factory.LazyAttribute(
        lambda o: "Ecosystem, Lyon" if o.status == ItemStatus.RECYCLED else ""
    )


class DataErasureFactory(DjangoModelFactory):
    class Meta:
        model = DataErasure

    item = factory.SubFactory(ItemFactory)
    method = "Effacement certifié NIST 800-88"
    erased_on = factory.LazyFunction(today)
    operator = "Ateliers du Bocage"


# --- allocations, shipments, invoices, after-sales ---------------------------------------


class ShipmentFactory(DjangoModelFactory):
    class Meta:
        model = Shipment

    reference = factory.Sequence(lambda n: f"EXP-TEST-{n:06d}")
    site = factory.SubFactory(SiteFactory)
    status = ShipmentStatus.PREPARING
    parcels = 1
    carrier = "Colissimo"
    shipped_at = factory.LazyAttribute(
        lambda o: None if o.status == ShipmentStatus.PREPARING else timezone.now()
    )
    delivered_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == ShipmentStatus.DELIVERED else None
    )
    incident_note = factory.LazyAttribute(
        lambda o: "Colis abîmé" if o.status == ShipmentStatus.INCIDENT else ""
    )


class AllocationFactory(DjangoModelFactory):
    """An allocation of a selected application; ``lines=n`` packs of the first offer."""

    class Meta:
        model = Allocation
        skip_postgeneration_save = True

    application = factory.SubFactory(ApplicationFactory, status=ApplicationStatus.SELECTED, lines=0)
    status = AllocationStatus.PROPOSED
    confirmed_at = factory.LazyAttribute(
        lambda o: None if o.status == AllocationStatus.PROPOSED else timezone.now()
    )

    @factory.post_generation
    def lines(self, create, extracted, **kwargs):
        quantity = 1 if extracted is None else extracted
        if create and quantity:
            AllocationLineFactory(allocation=self, quantity=quantity, **kwargs)


class AllocationLineFactory(DjangoModelFactory):
    class Meta:
        model = AllocationLine

    allocation = factory.SubFactory(AllocationFactory, lines=0)
    offer = factory.LazyAttribute(lambda o: _first_offer(o.allocation.application.call))
    pack_type = factory.SelfAttribute("offer.pack_type")
    quantity = 1
    units_per_pack = factory.SelfAttribute("pack_type.units_per_pack")
    unit_price = factory.SelfAttribute("offer.solidarity_price")
    market_unit_value = factory.SelfAttribute("pack_type.market_value")


class AllocatedItemFactory(DjangoModelFactory):
    class Meta:
        model = AllocatedItem

    line = factory.SubFactory(AllocationLineFactory)
    item = factory.SubFactory(
        ItemFactory, pack_type=factory.SelfAttribute("..line.pack_type"), status=ItemStatus.RESERVED
    )
    # Picked into an allocation already in a shipment: the item travels in it.
    shipment = factory.LazyAttribute(lambda o: o.line.allocation.shipment)


class InvoiceCounterFactory(DjangoModelFactory):
    class Meta:
        model = InvoiceCounter

    series = "F"
    year = factory.LazyFunction(lambda: today().year)
    last_number = 0


class InvoiceFactory(DjangoModelFactory):
    """A raw invoice row (for constraint tests); real invoices come from the services."""

    class Meta:
        model = Invoice

    kind = InvoiceKind.INVOICE
    series = "F"
    year = factory.LazyFunction(lambda: today().year)
    sequence_number = factory.Sequence(lambda n: n + 1)
    number = factory.LazyAttribute(lambda o: f"{o.series}-{o.year}-{o.sequence_number:05d}")
    allocation = factory.SubFactory(AllocationFactory, status=AllocationStatus.DELIVERED)
    issued_on = factory.LazyFunction(today)
    due_on = factory.LazyFunction(lambda: today() + timedelta(days=30))
    seller_name = "Solidatech"
    seller_address = "10 rue de la Solidarité, 75011 Paris"
    seller_siret = factory.LazyFunction(lambda: siret_for(999))
    buyer_name = factory.SelfAttribute("allocation.application.centre.name")
    buyer_address = factory.SelfAttribute("allocation.application.centre.postal_address")
    buyer_siret = factory.SelfAttribute("allocation.application.centre.siret")
    vat_rate = Decimal("0")
    total_excl_tax = Decimal("90.00")
    total_vat = Decimal("0.00")
    total_incl_tax = Decimal("90.00")
    payment_terms = "Paiement à 30 jours par virement."


class InvoiceLineFactory(DjangoModelFactory):
    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory)
    description = "Pack informatique"
    quantity = 1
    unit_price = Decimal("90.00")
    total_excl_tax = Decimal("90.00")
    position = 1


class SupportTicketFactory(DjangoModelFactory):
    class Meta:
        model = SupportTicket

    centre = factory.SubFactory(CentreFactory)
    item = factory.SubFactory(ItemFactory, status=ItemStatus.DELIVERED)
    subject = "L’écran ne s’allume plus"
    description = "Depuis lundi, l’écran reste noir au démarrage."
    status = TicketStatus.OPEN
    opened_at = factory.LazyFunction(timezone.now)
    resolved_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == TicketStatus.RESOLVED else None
    )
    resolution = factory.LazyAttribute(
        lambda o: "advice" if o.status == TicketStatus.RESOLVED else ""
    )
    # The allocation that brought the item to the centre, as open_ticket records it.
    allocation = factory.LazyAttribute(
        lambda o: (
            Allocation.objects.filter(
                lines__allocated_items__item=o.item, application__centre=o.centre
            )
            .order_by("-lines__allocated_items__picked_at")
            .first()
        )
    )


class TicketMessageFactory(DjangoModelFactory):
    class Meta:
        model = TicketMessage

    ticket = factory.SubFactory(SupportTicketFactory)
    author = factory.LazyAttribute(lambda o: o.ticket.opened_by)
    from_centre = True
    body = "Le voyant d’alimentation clignote orange."
    created_at = factory.LazyFunction(timezone.now)


# --- scenario builders ------------------------------------------------------------------


def staff_of(centre, count=1, *, referent=True, **kwargs):
    """``count`` staff members of ``centre``; the first one is its referent if ``referent``."""
    return [
        MembershipFactory(centre=centre, is_referent=referent and i == 0, **kwargs).user
        for i in range(count)
    ]


def put_in_shipment(allocation, shipment):
    """Put an allocation and its picked items in ``shipment`` (as ``create_shipment`` does)."""
    type(allocation).objects.filter(pk=allocation.pk).update(shipment=shipment)
    AllocatedItem.objects.filter(line__allocation=allocation, released_at__isnull=True).update(
        shipment=shipment
    )
    allocation.shipment = shipment
    return shipment


def picked_allocation(*, status=AllocationStatus.PICKED, items=1, erased=True, **kwargs):
    """An allocation with ``items`` reserved items picked on one line (units per pack 1)."""
    allocation = AllocationFactory(status=status, lines=items, **kwargs)
    line = allocation.lines.get()
    item_status = {
        AllocationStatus.SHIPPED: ItemStatus.SHIPPED,
        AllocationStatus.DELIVERED: ItemStatus.DELIVERED,
    }.get(status, ItemStatus.RESERVED)
    for _ in range(items):
        picked = AllocatedItemFactory(line=line, item__status=item_status)
        if erased:
            DataErasureFactory(item=picked.item)
    return allocation


def ready_agreement_pdf(agreement, content=None):
    """Arrange the agreement's PDF as a worker leaves it (stored, ready, with its checksum),
    without rendering it; returns the document."""
    content = content or b"%PDF-1.4\n% convention " + agreement.number.encode() + b"\n%%EOF\n"
    document = request_document(agreement, DocumentKind.AGREEMENT)
    document.file.save(f"{agreement.number}.pdf", ContentFile(content), save=False)
    document.filename = f"{agreement.number}.pdf"
    document.sha256 = hashlib.sha256(content).hexdigest()
    document.size = len(content)
    document.status = DocumentStatus.READY
    document.ready_at = timezone.now()
    document.save()
    return document
