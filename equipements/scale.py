"""A national-scale dataset for the benchmarks (``manage.py seed_scale``).

Thousands of centres, calls with thousands of applications each, reviews with scores,
decisions, agreements, allocations, tens of thousands of items, shipments and invoices,
written with ``bulk_create`` in batches. Deterministic: one ``random.Random(seed)`` drives
every choice, so the same seed gives the same serial numbers, references and invoice numbers.

The rows follow the models' constraints and lifecycles:

- calls, oldest first: decided editions (archived, the newest one only decided), then one
  in review (reviews assigned, drafted or submitted), then one open to applications;
- a decided call's applications are selected, waitlisted, rejected or withdrawn, with two
  submitted reviews (one score per criterion) and a published decision each;
- every allocation has one invoice: at delivery, or at confirmation in the calls that invoice
  then (``invoice_on_delivery=False``, the newest allocations: confirmed or picked, not yet
  shipped); numbers are gapless and chronological per series and year, continuing the
  counter row when one exists;
- shipped allocations have one shipment each and their items are delivered; picked ones hold
  reserved items; the rest of the stock is in stock, under repair, returned or recycled.

Scale rows are recognisable (``echelle-`` call slugs, ``ECH`` serials, ``@echelle.example.org``
accounts): the historical demo data (``seed_demo``) is never touched, and ``flush()`` removes
the scale rows only.
"""

import hashlib
import io
import json
import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import JSONField, Max
from django.utils import timezone

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
    Recommendation,
    Review,
    ReviewStatus,
    Score,
    SurveyAnswer,
)
from appels.services import set_totals_of_unsaved
from centres.geography import DEPARTMENTS
from centres.models import Centre, Membership, Partner, Site, User
from centres.roles import LOGISTICS, PROGRAMME_MANAGERS, REVIEWERS

from .demo import (
    ACTIVITIES,
    AUDIENCES,
    CENTRE_NAMES,
    FIRST_NAMES,
    LAST_NAMES,
    QUARTERS,
    at,
    make_siret,
)
from .models import (
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
    InvoiceStatus,
    Item,
    ItemStatus,
    Provenance,
    Shipment,
    ShipmentStatus,
)

BATCH_SIZE = 5000
COPY_THRESHOLD = 1000  # rows: below, a plain bulk_create
SLUG_PREFIX = "echelle-"
EMAIL_DOMAIN = "echelle.example.org"
SERIAL_PREFIX = "ECH"
MEMBER_PREFIX = "ECH-"
PARTNER_PREFIX = "Échelle – "
PACK_SUFFIX = " (jeu national)"
# The newest decided edition is dated this year, older ones one year earlier each: invoice
# years (hence numbers) do not depend on the day the command runs.
LATEST_DECIDED_YEAR = 2024

# Accounts the benchmarks log in with (password: settings.DEMO_PASSWORD).
MANAGER_EMAIL = f"programme@{EMAIL_DOMAIN}"
LOGISTICS_EMAIL = f"logistique@{EMAIL_DOMAIN}"
REVIEWER_EMAIL = f"evaluateur1@{EMAIL_DOMAIN}"


def referent_email(index):
    """The referent of the scale centre number ``index`` (0-based, in creation order)."""
    return f"referent{index + 1:05d}@{EMAIL_DOMAIN}"


@dataclass(frozen=True)
class ScaleConfig:
    centres: int = 2500
    calls: int = 10
    applications: int = 20000
    items: int = 60000
    shipments: int = 8000
    invoices: int = 10000
    seed: int = 42

    def check(self):
        problems = []
        if self.calls < 2:
            problems.append("--calls must be at least 2 (a decided call and an open call)")
        if self.centres < 10:
            problems.append("--centres must be at least 10")
        if self.shipments > self.invoices:
            problems.append("--shipments cannot exceed --invoices (one invoice per allocation)")
        return problems


def split_total(total, parts, low, high, rng):
    """``parts`` integers in ``[low, high]`` summing to ``total`` (clamped to what fits)."""
    total = max(parts * low, min(total, parts * high))
    base, extra = divmod(total, parts)
    values = [base + (1 if i < extra else 0) for i in range(parts)]
    # Spread them without changing the sum: move units between random pairs.
    for _ in range(parts * 2):
        a, b = rng.randrange(parts), rng.randrange(parts)
        step = rng.randint(0, 3)
        if values[a] - step >= low and values[b] + step <= high:
            values[a] -= step
            values[b] += step
    return values


def _copy_text(value):
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    if any(char in text for char in "\\\t\n\r"):
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def copy_rows(model, rows):
    """``bulk_create`` through PostgreSQL's COPY: ids are taken from the table's sequence
    first (one query), then the rows stream in. Several times faster than INSERT for the
    hundreds of thousands of rows of the scale data; same values (``pre_save`` included)."""
    meta = model._meta
    table = meta.db_table
    fields = list(meta.concrete_fields)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, meta.pk.column, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        buffer = io.StringIO()
        for obj, pk in zip(rows, ids, strict=True):
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
            obj.pk = pk
            values = []
            for field in fields:
                value = field.pre_save(obj, add=True)
                if isinstance(field, JSONField):  # its adapter renders SQL, not COPY text
                    values.append(_copy_text(json.dumps(value)))
                    continue
                values.append(_copy_text(field.get_db_prep_save(value, connection)))
            buffer.write("\t".join(values))
            buffer.write("\n")
            obj._state.adding = False
            obj._state.db = connection.alias
        buffer.seek(0)
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        raw = cursor.cursor  # the psycopg2 cursor under Django's wrapper
        raw.copy_expert(f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN", buffer)
    return rows


def is_seeded():
    return Call.objects.filter(slug__startswith=SLUG_PREFIX).exists()


class ScaleBuilder:
    def __init__(self, config, stdout=None):
        problems = config.check()
        if problems:
            raise ValueError("; ".join(problems))
        self.config = config
        self.rng = random.Random(config.seed)
        self.stdout = stdout
        self.now = timezone.now()
        self.serial = 0
        self.timings = {}

    def log(self, message):
        if self.stdout is not None:
            self.stdout.write(message)

    def step(self, name, function, *args):
        started = time.perf_counter()
        result = function(*args)
        self.timings[name] = time.perf_counter() - started
        self.log(f"  {name}: {self.timings[name]:.1f} s")
        return result

    def bulk(self, model, rows):
        if connection.vendor == "postgresql" and len(rows) >= COPY_THRESHOLD:
            return copy_rows(model, rows)
        return model.objects.bulk_create(rows, batch_size=BATCH_SIZE)

    # -- entry point ---------------------------------------------------------------------

    @transaction.atomic
    def build(self):
        self.step("partners and catalogue", self.partners_and_catalogue)
        self.step("centres, sites, referents", self.centres)
        self.step("staff accounts", self.staff)
        self.step("calls", self.calls)
        self.step("applications", self.applications)
        self.step("reviews and scores", self.reviews)
        self.step("decisions and agreements", self.decisions)
        self.step("allocations and shipments", self.allocations)
        self.step("items", self.items)
        self.step("invoices", self.invoices)
        self.step("survey answers", self.surveys)
        return self.counts()

    def counts(self):
        calls = Call.objects.filter(slug__startswith=SLUG_PREFIX)
        return {
            "centres": Centre.objects.filter(fcsf_member_number__startswith=MEMBER_PREFIX).count(),
            "calls": calls.count(),
            "applications": Application.objects.filter(call__in=calls).count(),
            "reviews": Review.objects.filter(application__call__in=calls).count(),
            "items": Item.objects.filter(serial_number__startswith=SERIAL_PREFIX).count(),
            "shipments": Shipment.objects.filter(reference__startswith=SERIAL_PREFIX).count(),
            "invoices": Invoice.objects.filter(allocation__application__call__in=calls).count(),
        }

    # -- directory -----------------------------------------------------------------------

    def partners_and_catalogue(self):
        K = Partner.Kind
        self.sirets = set(Centre.objects.values_list("siret", flat=True))
        self.sirets |= set(Partner.objects.exclude(siret="").values_list("siret", flat=True))

        def partner(name, kind, **fields):
            return Partner(
                name=PARTNER_PREFIX + name,
                kind=kind,
                siret=make_siret(self.rng, self.sirets),
                **fields,
            )

        self.federation = partner("Fédération nationale", K.FEDERATION, city="Paris")
        self.operator = partner(
            "Opérateur de solidarité numérique",
            K.OPERATOR,
            address="3 rue de la Fontaine",
            postal_code="49300",
            city="Cholet",
        )
        self.refurbisher = partner("Atelier de reconditionnement", K.REFURBISHER, city="Niort")
        self.donor = partner("Donateur de tablettes", K.DONOR, city="Lyon")
        self.funder = partner("Fondation partenaire", K.FUNDER, city="Paris")
        self.bulk(
            Partner,
            [self.federation, self.operator, self.refurbisher, self.donor, self.funder],
        )
        regions = sorted({region for _name, region in DEPARTMENTS.values()})
        self.regional = {
            region: partner(
                f"Fédération régionale {region}",
                K.FEDERATION,
                parent=self.federation,
                region=region,
            )
            for region in regions
        }
        self.bulk(Partner, list(self.regional.values()))

        self.packs = self.bulk(
            PackType,
            [
                PackType(
                    name="Pack informatique" + PACK_SUFFIX,
                    kind=PackType.Kind.DESKTOP,
                    units_per_pack=1,
                    composition="Unité centrale, écran, clavier, souris, logiciels libres",
                    market_value=Decimal("450.00"),
                ),
                PackType(
                    name="Flotte de 6 tablettes" + PACK_SUFFIX,
                    kind=PackType.Kind.TABLET,
                    units_per_pack=6,
                    composition="6 tablettes 10 pouces, housses et chargeurs",
                    market_value=Decimal("1500.00"),
                ),
            ],
        )
        self.models = {
            PackType.Kind.DESKTOP: [
                DeviceModel.objects.get_or_create(
                    manufacturer=m, name=n, defaults={"kind": DeviceModel.Kind.DESKTOP}
                )[0]
                for m, n in [
                    ("Dell", "OptiPlex 7010"),
                    ("HP", "EliteDesk 800 G3"),
                    ("Lenovo", "ThinkCentre M710"),
                ]
            ],
            PackType.Kind.TABLET: [
                DeviceModel.objects.get_or_create(
                    manufacturer="Samsung",
                    name="Galaxy Tab A8",
                    defaults={"kind": DeviceModel.Kind.TABLET},
                )[0]
            ],
        }

    def centres(self):
        rng = self.rng
        departments = sorted(DEPARTMENTS)
        today = timezone.localdate(self.now)
        centres = []
        for index in range(self.config.centres):
            department = departments[index % len(departments)]
            name, region = DEPARTMENTS[department]
            postal = f"{department[:2]}{rng.randint(0, 999):03d}"
            if department in ("2A", "2B"):
                postal = f"20{rng.randint(0, 299):03d}"
            centre = Centre(
                name=rng.choice(CENTRE_NAMES).format(q=rng.choice(QUARTERS)) + f" n° {index + 1}",
                siret=make_siret(rng, self.sirets),
                fcsf_member_number=f"{MEMBER_PREFIX}{department}-{index + 1:05d}",
                membership_valid_until=date(today.year + 1, 12, 31),
                federation=self.regional[region],
                address=f"{rng.randint(1, 120)} rue {rng.choice(QUARTERS)[3:].strip()}",
                postal_code=postal,
                city=f"Commune {name}",
                department=department,
                region=region,
                email=f"accueil{index + 1}@{EMAIL_DOMAIN}",
            )
            centres.append(centre)
        self.centre_list = self.bulk(Centre, centres)
        self.sites = self.bulk(
            Site,
            [
                Site(
                    centre=centre,
                    name="Site principal",
                    address=centre.address,
                    postal_code=centre.postal_code,
                    city=centre.city,
                    contact_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                )
                for centre in self.centre_list
            ],
        )
        self.site_of = {site.centre_id: site for site in self.sites}
        # One password hash for every scale account: hashing 2,500 times would take minutes.
        self.password = make_password(settings.DEMO_PASSWORD)
        referents = self.bulk(
            User,
            [
                User(
                    email=referent_email(index),
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=rng.choice(LAST_NAMES),
                    password=self.password,
                )
                for index in range(len(self.centre_list))
            ],
        )
        self.referent_of = {}
        memberships = []
        for centre, user in zip(self.centre_list, referents, strict=True):
            self.referent_of[centre.pk] = user
            memberships.append(
                Membership(user=user, centre=centre, is_referent=True, role="Directeur")
            )
        self.bulk(Membership, memberships)

    def staff(self):
        reviewer_count = max(4, self.config.centres // 60)
        users = [
            User(
                email=f"evaluateur{index + 1}@{EMAIL_DOMAIN}",
                first_name=FIRST_NAMES[index % len(FIRST_NAMES)],
                last_name=LAST_NAMES[(index * 7) % len(LAST_NAMES)],
                is_staff=True,
                organisation=self.federation if index % 2 else self.operator,
                password=self.password,
            )
            for index in range(reviewer_count)
        ]
        self.manager = User(
            email=MANAGER_EMAIL,
            first_name="Chargée",
            last_name="de programme",
            is_staff=True,
            organisation=self.operator,
            password=self.password,
        )
        self.logistics = User(
            email=LOGISTICS_EMAIL,
            first_name="Responsable",
            last_name="logistique",
            is_staff=True,
            organisation=self.refurbisher,
            password=self.password,
        )
        self.bulk(User, [*users, self.manager, self.logistics])
        self.reviewers = users
        groups = {group.name: group for group in Group.objects.all()}
        if REVIEWERS in groups:
            groups[REVIEWERS].user_set.add(*users)
        if PROGRAMME_MANAGERS in groups:
            groups[PROGRAMME_MANAGERS].user_set.add(self.manager)
        if LOGISTICS in groups:
            groups[LOGISTICS].user_set.add(self.logistics)

    # -- calls and applications ----------------------------------------------------------

    def calls(self):
        count = self.config.calls
        today = timezone.localdate(self.now)
        decided = count - 1 if count == 2 else count - 2
        calls = []
        for index in range(decided):
            year = LATEST_DECIDED_YEAR - (decided - 1 - index)
            calls.append(
                Call(
                    title=f"Équipement solidaire {year}",
                    slug=f"{SLUG_PREFIX}{year}",
                    edition=f"{year - 1}–{year}",
                    status=CallStatus.DECIDED if index == decided - 1 else CallStatus.ARCHIVED,
                    summary="Ordinateurs reconditionnés et flottes de tablettes.",
                    opens_at=at(date(year - 1, 9, 1), 9),
                    closes_at=at(date(year - 1, 11, 30), 23, 59),
                    review_ends_at=at(date(year, 1, 10), 18),
                    results_published_at=at(date(year, 1, 20), 14),
                )
            )
        if count > 2:
            calls.append(
                Call(
                    title="Équipement solidaire – en évaluation",
                    slug=f"{SLUG_PREFIX}evaluation",
                    edition=f"{today.year}",
                    status=CallStatus.REVIEW,
                    summary="Candidatures closes, évaluation en cours.",
                    opens_at=at(today - timedelta(days=120), 9),
                    closes_at=at(today - timedelta(days=30), 12),
                    review_ends_at=at(today + timedelta(days=30), 18),
                )
            )
        calls.append(
            Call(
                title="Équipement solidaire – appel ouvert",
                slug=f"{SLUG_PREFIX}ouvert",
                edition=f"{today.year}–{today.year + 1}",
                status=CallStatus.OPEN,
                summary="Ordinateurs reconditionnés et tablettes pour la médiation numérique.",
                description="Les centres présentent un projet de médiation numérique.",
                opens_at=at(today - timedelta(days=20), 9),
                closes_at=at(today + timedelta(days=70), 12),
                review_ends_at=at(today + timedelta(days=100), 18),
            )
        )
        self.call_list = self.bulk(Call, calls)
        self.decided_calls = self.call_list[:decided]
        self.open_call = self.call_list[-1]
        self.review_call = self.call_list[-2] if count > 2 else None
        partners = []
        for call in self.call_list:
            partners += [
                CallPartner(call=call, partner=self.federation, role=CallPartner.Role.ORGANISER),
                CallPartner(call=call, partner=self.operator, role=CallPartner.Role.OPERATOR),
                CallPartner(call=call, partner=self.refurbisher, role=CallPartner.Role.REFURBISHER),
                CallPartner(call=call, partner=self.donor, role=CallPartner.Role.DONOR),
            ]
        self.bulk(CallPartner, partners)
        criteria_rows = [
            ("Qualité du projet de médiation numérique", Decimal("3")),
            ("Publics visés et besoins du territoire", Decimal("2")),
            ("Capacité d’accompagnement des habitants", Decimal("2")),
            ("Partenariats locaux", Decimal("1")),
        ]
        criteria = self.bulk(
            Criterion,
            [
                Criterion(call=call, name=name, weight=weight, max_score=5, position=position)
                for call in self.call_list
                for position, (name, weight) in enumerate(criteria_rows, start=1)
            ],
        )
        self.criteria_of = {}
        for criterion in criteria:
            self.criteria_of.setdefault(criterion.call_id, []).append(criterion)
        desktop, tablets = self.packs
        offers = []
        for call in self.call_list:
            offers += [
                CallOffer(
                    call=call,
                    pack_type=desktop,
                    quantity_available=self.config.items,
                    solidarity_price=Decimal("90.00"),
                    per_centre_cap=10,
                ),
                CallOffer(
                    call=call,
                    pack_type=tablets,
                    quantity_available=max(1, self.config.items // 60),
                    solidarity_price=Decimal("150.00"),
                    per_centre_cap=1,
                ),
            ]
        offers = self.bulk(CallOffer, offers)
        self.offers_of = {}
        for offer in offers:
            self.offers_of.setdefault(offer.call_id, []).append(offer)

    def applications(self):
        """Every application, decided outcome and allocation plan in memory, then inserted."""
        rng = self.rng
        config = self.config
        calls = self.call_list
        centres = self.centre_list
        # The open call leaves centres free to apply (the load test does).
        free_in_open = max(min(20, len(centres) // 3), len(centres) // 10)
        caps = [len(centres)] * (len(calls) - 1) + [len(centres) - free_in_open]
        per_call = split_total(config.applications, len(calls), 1, max(caps), rng)
        carry = 0
        for index, cap in enumerate(caps):
            per_call[index] += carry
            carry = max(0, per_call[index] - cap)
            per_call[index] -= carry
        for index, cap in enumerate(caps):
            moved = min(carry, cap - per_call[index])
            per_call[index] += moved
            carry -= moved
        self.applications_of = {}
        rows = []
        self.line_of = {}
        for call, count, cap in zip(calls, per_call, caps, strict=True):
            # The first centre applies to every call: its dashboard shows the longest history.
            applicants = [centres[0], *rng.sample(centres[1:cap], count - 1)]
            is_open = call is self.open_call
            desktop, tablets = self.offers_of[call.pk]
            for position, centre in enumerate(applicants):
                status, withdrawn_at = ApplicationStatus.SUBMITTED, None
                submitted_at = call.closes_at - timedelta(
                    days=rng.randint(1, 60), minutes=position % 600
                )
                if is_open:
                    submitted_at = self.now - timedelta(days=rng.randint(1, 19), minutes=position)
                    if rng.random() < 0.3 and position:
                        status, submitted_at = ApplicationStatus.DRAFT, None
                elif rng.random() < 0.04 and position:
                    status = ApplicationStatus.WITHDRAWN
                    withdrawn_at = call.closes_at - timedelta(days=1)
                application = Application(
                    call=call,
                    centre=centre,
                    site=self.site_of[centre.pk],
                    status=status,
                    title=rng.choice(
                        [
                            "Un espace numérique ouvert à tous les habitants",
                            "Le numérique au service de l’accompagnement scolaire",
                            "Ateliers numériques intergénérationnels",
                            "Point d’accès accompagné aux droits en ligne",
                        ]
                    ),
                    summary="Une salle équipée pour des ateliers réguliers et un accès libre "
                    "accompagné par un animateur formé.",
                    audience=rng.choice(AUDIENCES),
                    expected_beneficiaries=rng.randint(40, 400),
                    activities=rng.choice(ACTIVITIES),
                    opens_mediation_space=rng.random() < 0.6,
                    created_by=self.referent_of[centre.pk],
                    submitted_at=submitted_at,
                    withdrawn_at=withdrawn_at,
                )
                application.quality = rng.random()  # drives reviews and the committee
                rows.append(application)
                self.applications_of.setdefault(call.pk, []).append(application)
                offer = tablets if rng.random() < 0.12 else desktop
                self.line_of[id(application)] = ApplicationLine(
                    application=application,
                    offer=offer,
                    requested_quantity=1 if offer is tablets else rng.randint(2, 10),
                )
        self.decide()
        self.plan_allocations()
        self.bulk(Application, rows)
        self.bulk(ApplicationLine, [self.line_of[id(a)] for a in rows])

    def decide(self):
        """Decided calls: outcomes by review quality, as many selected as invoices asked."""
        budget = self.config.invoices
        eligible = {
            call.pk: [
                a for a in self.applications_of[call.pk] if a.status == ApplicationStatus.SUBMITTED
            ]
            for call in self.decided_calls
        }
        total = sum(len(rows) for rows in eligible.values())
        if total < budget:
            raise ValueError(
                f"--invoices {budget} needs as many selected applications, but decided calls "
                f"only have {total} submitted ones: raise --applications"
            )
        # Each call selects in proportion to its size (rounded so that the sum is exact).
        counts = [len(eligible[call.pk]) * budget // total for call in self.decided_calls]
        for index in range(budget - sum(counts)):
            counts[index % len(counts)] += 1
        self.selected = []
        self.ranked = []
        for call, count in zip(self.decided_calls, counts, strict=True):
            decided_at = at(date(call.results_published_at.year, 1, 20), 11)
            ranked = sorted(eligible[call.pk], key=lambda a: -a.quality)
            waitlist_rank = 0
            for rank, application in enumerate(ranked, start=1):
                line = self.line_of[id(application)]
                if rank <= count:
                    status = ApplicationStatus.SELECTED
                    line.granted_quantity = line.requested_quantity
                    line.granted_unit_price = line.offer.solidarity_price
                    self.selected.append(application)
                elif rank <= count + max(1, count // 10):
                    status = ApplicationStatus.WAITLISTED
                    waitlist_rank += 1
                    application.waitlist_rank = waitlist_rank
                else:
                    status = ApplicationStatus.REJECTED
                    line.granted_quantity = 0
                application.status = status
                application.decided_at = decided_at
                self.ranked.append((application, rank, decided_at))

    def plan_allocations(self):
        """Oldest selections are delivered (one shipment each); the newest are confirmed or
        picked, in calls that invoice at confirmation. 70 % of the items are allocated."""
        selected = self.selected  # oldest call first
        self.shipped_count = min(self.config.shipments, len(selected))
        unshipped = selected[self.shipped_count :]
        self.invoice_at_confirmation = {a.call_id for a in unshipped}
        self.holders = self.shipped_count + len(unshipped) // 2
        budget = int(self.config.items * 0.7)
        if budget < self.holders:
            raise ValueError(
                f"--items {self.config.items} is too small for {self.holders} allocations"
            )
        tablets = [
            a
            for a in selected[: self.holders]
            if self.line_of[id(a)].offer.pack_type.kind == "tablet"
        ]
        while tablets and budget - 6 * len(tablets) < self.holders - len(tablets):
            # Not enough items for all these fleets: the last ones become computer packs.
            line = self.line_of[id(tablets.pop())]
            line.offer = self.offers_of[line.offer.call_id][0]
        computers = self.holders - len(tablets)
        quantities = iter(
            split_total(budget - 6 * len(tablets), computers, 1, 10, self.rng) if computers else []
        )
        for index, application in enumerate(selected):
            line = self.line_of[id(application)]
            if line.offer.pack_type.units_per_pack > 1:
                quantity = 1
            elif index < self.holders:
                quantity = next(quantities)
            else:
                quantity = line.granted_quantity
            line.granted_quantity = quantity
            line.requested_quantity = max(line.requested_quantity, quantity)
            line.granted_unit_price = line.offer.solidarity_price

    # -- reviews, decisions, agreements ---------------------------------------------------

    def reviews(self):
        rng = self.rng
        reviewers = self.reviewers
        reviews, scores = [], []
        targets = [*self.decided_calls, *([self.review_call] if self.review_call else [])]
        turn = 0
        for call in targets:
            criteria = self.criteria_of[call.pk]
            in_review = call is self.review_call
            for application in self.applications_of[call.pk]:
                if application.status == ApplicationStatus.WITHDRAWN:
                    continue
                quality = application.quality
                for offset in (0, 1):
                    reviewer = reviewers[(turn + offset) % len(reviewers)]
                    status = ReviewStatus.SUBMITTED
                    if in_review:
                        draw = rng.random()
                        status = (
                            ReviewStatus.SUBMITTED
                            if draw < 0.4
                            else ReviewStatus.DRAFT
                            if draw < 0.55
                            else ReviewStatus.ASSIGNED
                        )
                    done = status == ReviewStatus.SUBMITTED
                    review = Review(
                        application=application,
                        reviewer=reviewer,
                        status=status,
                        comment="Projet clair, public bien identifié." if done else "",
                        recommendation=(
                            Recommendation.SELECT
                            if quality > 0.45
                            else Recommendation.WAITLIST
                            if quality > 0.35
                            else Recommendation.REJECT
                        )
                        if done
                        else "",
                        submitted_at=call.closes_at + timedelta(days=rng.randint(3, 30))
                        if done
                        else None,
                    )
                    reviews.append(review)
                    if status != ReviewStatus.ASSIGNED:
                        low = 1 + round(quality * 3)
                        for criterion in criteria:
                            scores.append(
                                Score(
                                    review=review,
                                    criterion=criterion,
                                    value=min(5, low + (rng.random() < 0.5)),
                                )
                            )
                turn += 1
        set_totals_of_unsaved(scores)
        self.bulk(Review, reviews)
        self.bulk(Score, scores)

    def decisions(self):
        rng = self.rng
        call_of = {call.pk: call for call in self.decided_calls}
        self.bulk(
            Decision,
            [
                Decision(
                    application=application,
                    outcome=application.status,
                    rank=rank,
                    decided_by=self.manager,
                    decided_at=decided_at,
                    published_at=call_of[application.call_id].results_published_at,
                    notified_at=call_of[application.call_id].results_published_at,
                )
                for application, rank, decided_at in self.ranked
            ],
        )
        agreements = []
        for index, application in enumerate(self.selected, start=1):
            call = call_of[application.call_id]
            issued = call.results_published_at + timedelta(hours=1)
            agreements.append(
                Agreement(
                    application=application,
                    number=f"CONV-{call.slug.upper()}-{index:06d}",
                    status=AgreementStatus.SIGNED,
                    issued_at=issued,
                    signed_at=issued + timedelta(days=rng.randint(2, 20)),
                    signer_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    signer_role="Directeur ou directrice du centre",
                )
            )
        self.bulk(Agreement, agreements)

    # -- allocations, shipments, items ----------------------------------------------------

    def allocations(self):
        rng = self.rng
        Call.objects.filter(pk__in=self.invoice_at_confirmation).update(invoice_on_delivery=False)
        for call in self.decided_calls:
            call.invoice_on_delivery = call.pk not in self.invoice_at_confirmation
        self.allocation_rows = []
        shipments, allocations, alloc_lines = [], [], []
        for index, application in enumerate(self.selected):
            call = application.call
            line = self.line_of[id(application)]
            quantity = line.granted_quantity
            year = call.results_published_at.year
            confirmed = at(date(year, 1, 27) + timedelta(days=rng.randint(0, 20)), 10)
            holds_items = index < self.holders
            shipment = None
            if index < self.shipped_count:
                delivered_on = date(year, 2, 1) + timedelta(days=rng.randint(0, 150))
                shipment = Shipment(
                    reference=f"{SERIAL_PREFIX}-EXP-{year}-{index + 1:06d}",
                    site=self.site_of[application.centre_id],
                    status=ShipmentStatus.RECEIVED,
                    parcels=max(1, quantity // 2),
                    weight_kg=Decimal(quantity * 9),
                    carrier=rng.choice(["Colissimo", "DB Schenker", "Geodis"]),
                    tracking_number=f"{rng.randrange(10**12, 10**13)}",
                    shipped_at=at(delivered_on - timedelta(days=3), 16),
                    delivered_at=at(delivered_on, 11),
                    received_at=at(delivered_on, 15),
                    confirmed_by=self.referent_of[application.centre_id],
                )
                shipments.append(shipment)
                status = AllocationStatus.DELIVERED
            else:
                status = AllocationStatus.PICKED if holds_items else AllocationStatus.CONFIRMED
            allocation = Allocation(
                application=application,
                status=status,
                shipment=shipment,
                confirmed_at=confirmed,
                delivered_at=shipment.delivered_at if shipment else None,
            )
            allocations.append(allocation)
            pack = line.offer.pack_type
            alloc_lines.append(
                AllocationLine(
                    allocation=allocation,
                    offer=line.offer,
                    pack_type=pack,
                    quantity=quantity,
                    units_per_pack=pack.units_per_pack,
                    unit_price=line.granted_unit_price,
                    market_unit_value=pack.market_value,
                )
            )
            self.allocation_rows.append((application, allocation, alloc_lines[-1], holds_items))
        self.bulk(Shipment, shipments)
        self.bulk(Allocation, allocations)
        self.bulk(AllocationLine, alloc_lines)

    def new_serial(self):
        self.serial += 1
        digest = hashlib.sha1(f"{self.config.seed}-{self.serial}".encode()).hexdigest()[:6]
        return f"{SERIAL_PREFIX}{self.serial:07d}{digest.upper()}"

    def items(self):
        rng = self.rng
        desktop, tablets = self.packs
        batches = self.bulk(
            Batch,
            [
                Batch(
                    partner=self.refurbisher if call is not None else self.donor,
                    reference=f"{SERIAL_PREFIX}-LOT-{call.slug.upper() if call else 'STOCK'}",
                    received_on=(
                        date(call.results_published_at.year, 1, 5)
                        if call is not None
                        else timezone.localdate(self.now) - timedelta(days=40)
                    ),
                )
                for call in [*self.decided_calls, None]
            ],
        )
        batch_of = {
            call.pk: batch for call, batch in zip(self.decided_calls, batches, strict=False)
        }
        stock_batch = batches[-1]
        items, picked = [], []

        def item(pack, batch, status, **fields):
            kind = pack.kind
            model = rng.choice(self.models[kind])
            refurbished = kind != PackType.Kind.TABLET
            return Item(
                serial_number=self.new_serial(),
                asset_tag=f"{SERIAL_PREFIX}-{self.serial:07d}",
                device_model=model,
                pack_type=pack,
                grade=rng.choice([Grade.A, Grade.A, Grade.B]) if refurbished else Grade.NEW,
                provenance=Provenance.REFURBISHED if refurbished else Provenance.DONATED,
                provenance_partner=self.refurbisher if refurbished else self.donor,
                batch=batch,
                status=status,
                received_on=batch.received_on,
                **fields,
            )

        for application, allocation, line, holds_items in self.allocation_rows:
            if not holds_items:
                continue
            status = (
                ItemStatus.DELIVERED
                if allocation.status == AllocationStatus.DELIVERED
                else ItemStatus.RESERVED
            )
            for _unit in range(line.quantity * line.units_per_pack):
                unit = item(line.pack_type, batch_of[application.call_id], status)
                items.append(unit)
                picked.append((line, unit))
        remaining = self.config.items - len(items)
        today = timezone.localdate(self.now)
        for index in range(max(0, remaining)):
            draw = rng.random()
            fields = {}
            if draw < 0.90:
                status = ItemStatus.IN_STOCK
            elif draw < 0.94:
                status = ItemStatus.UNDER_REPAIR
            elif draw < 0.97:
                status = ItemStatus.RETURNED
            else:
                status = ItemStatus.RECYCLED
                fields = {
                    "end_of_life_on": today - timedelta(days=rng.randint(1, 300)),
                    "end_of_life_destination": "Éco-organisme agréé – site de Lyon",
                }
            pack = tablets if index % 10 == 9 else desktop
            items.append(item(pack, stock_batch, status, **fields))
        self.bulk(Item, items)
        self.bulk(
            AllocatedItem,
            [
                AllocatedItem(
                    line=line,
                    item=unit,
                    shipment_id=line.allocation.shipment_id
                    if line.allocation.status != AllocationStatus.PICKED
                    else None,
                )
                for line, unit in picked
            ],
        )
        self.bulk(
            DataErasure,
            [
                DataErasure(
                    item=unit,
                    method="Effacement certifié 3 passes",
                    erased_on=unit.received_on - timedelta(days=3),
                    operator="Atelier de reconditionnement",
                )
                for unit in items
                if unit.provenance == Provenance.REFURBISHED
            ],
        )
        self.item_count = len(items)

    # -- invoices and surveys -------------------------------------------------------------

    def invoices(self):
        """One invoice per allocation, numbered in issue order: gapless per series and year."""
        rng = self.rng
        series = settings.INVOICE_SERIES
        call_of = {call.pk: call for call in self.decided_calls}
        dated = []
        for application, allocation, line, _holds in self.allocation_rows:
            call = call_of[application.call_id]
            moment = (
                allocation.delivered_at if call.invoice_on_delivery else allocation.confirmed_at
            )
            dated.append((timezone.localtime(moment).date(), allocation.pk, application, line))
        dated.sort(key=lambda row: (row[0], row[1]))
        years = {issued_on.year for issued_on, *_rest in dated}
        counters = {
            counter.year: counter
            for counter in InvoiceCounter.objects.filter(series=series, year__in=years)
        }
        new_counters = []
        for year in sorted(years - set(counters)):
            counters[year] = InvoiceCounter(series=series, year=year, last_number=0)
            new_counters.append(counters[year])
        rate = Decimal(str(settings.INVOICE_VAT_RATE))
        mention = "" if rate else settings.INVOICE_VAT_EXEMPTION_MENTION
        seller = self.operator
        invoices, lines = [], []
        today = timezone.localdate(self.now)
        for issued_on, _pk, application, line in dated:
            counter = counters[issued_on.year]
            counter.last_number += 1
            centre = application.centre
            total = line.quantity * line.unit_price
            vat = (total * rate / 100).quantize(Decimal("0.01"))
            due_on = issued_on + timedelta(days=settings.INVOICE_PAYMENT_DAYS)
            paid = due_on < today - timedelta(days=60) or rng.random() < 0.5
            invoice = Invoice(
                kind=InvoiceKind.INVOICE,
                series=series,
                year=issued_on.year,
                sequence_number=counter.last_number,
                number=f"{series}-{issued_on.year}-{counter.last_number:05d}",
                allocation_id=line.allocation.pk,
                status=InvoiceStatus.PAID if paid else InvoiceStatus.ISSUED,
                issued_on=issued_on,
                due_on=due_on,
                paid_on=issued_on + timedelta(days=rng.randint(5, 28)) if paid else None,
                seller_name=seller.name,
                seller_address=seller.postal_address,
                seller_siret=seller.siret,
                buyer_name=centre.name,
                buyer_address=centre.postal_address,
                buyer_siret=centre.siret,
                vat_rate=rate,
                vat_mention=mention,
                total_excl_tax=total,
                total_vat=vat,
                total_incl_tax=total + vat,
                payment_terms=f"Paiement à {settings.INVOICE_PAYMENT_DAYS} jours par virement.",
            )
            invoices.append(invoice)
            lines.append(
                InvoiceLine(
                    invoice=invoice,
                    position=1,
                    description=str(line.pack_type),
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    total_excl_tax=total,
                )
            )
        self.bulk(Invoice, invoices)
        self.bulk(InvoiceLine, lines)
        self.bulk(InvoiceCounter, new_counters)
        InvoiceCounter.objects.bulk_update(
            [c for c in counters.values() if c not in new_counters], ["last_number"]
        )

    def surveys(self):
        rng = self.rng
        answers = []
        for application, allocation, _line, _holds in self.allocation_rows:
            if allocation.status != AllocationStatus.DELIVERED or rng.random() > 0.7:
                continue
            happy = rng.random() < 0.95
            answers.append(
                SurveyAnswer(
                    application=application,
                    satisfaction=rng.choice([3, 4, 4]) if happy else rng.choice([1, 2]),
                    equipment_quality=rng.choice([3, 4, 4]) if happy else 2,
                    ease_of_installation=rng.choice([3, 4, 4]),
                    after_sales_responsiveness=rng.choice([None, 3, 4]),
                    opened_mediation_space=application.opens_mediation_space,
                    answered_by=self.referent_of[application.centre_id],
                    answered_at=allocation.delivered_at + timedelta(days=rng.randint(30, 120)),
                )
            )
        self.bulk(SurveyAnswer, answers)


def _delete(queryset):
    """DELETE without the ORM's collector: no signals (no history rows for a data set), no
    per-row work. Children go first; foreign keys are checked at commit."""
    queryset._raw_delete(queryset.db)


@transaction.atomic
def flush():
    """Delete the scale rows (never the demo's); invoice counters follow."""
    if connection.vendor == "postgresql":
        # Fresh statistics first: planned on stale ones (tables last analysed nearly empty),
        # the nested deletes below turn into nested loops over every row, for minutes.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    calls = Call.objects.filter(slug__startswith=SLUG_PREFIX)
    applications = Application.objects.filter(call__in=calls)
    allocations = Allocation.objects.filter(application__in=applications)
    invoices = Invoice.objects.filter(allocation__in=allocations)
    years = set(invoices.values_list("series", "year").distinct())
    users = User.objects.filter(email__endswith="@" + EMAIL_DOMAIN)
    centres = Centre.objects.filter(fcsf_member_number__startswith=MEMBER_PREFIX)
    items = Item.objects.filter(serial_number__startswith=SERIAL_PREFIX)
    shipments = list(allocations.exclude(shipment=None).values_list("shipment_id", flat=True))
    _delete(InvoiceLine.objects.filter(invoice__in=invoices))
    # Issued invoices refuse deletion one by one: this is the benchmark's own data set.
    _delete(invoices)
    for series, year in years:
        last = Invoice.objects.filter(series=series, year=year).aggregate(
            last=Max("sequence_number")
        )["last"]
        counter = InvoiceCounter.objects.filter(series=series, year=year)
        if last:
            counter.update(last_number=last)
        else:
            _delete(counter)
    _delete(AllocatedItem.objects.filter(item__in=items))
    _delete(DataErasure.objects.filter(item__in=items))
    _delete(AllocationLine.objects.filter(allocation__in=allocations))
    _delete(allocations)
    _delete(Shipment.objects.filter(pk__in=shipments))
    _delete(Shipment.objects.filter(reference__startswith=SERIAL_PREFIX))
    _delete(items)
    _delete(Batch.objects.filter(reference__startswith=SERIAL_PREFIX))
    _delete(SurveyAnswer.objects.filter(application__in=applications))
    _delete(Agreement.objects.filter(application__in=applications))
    _delete(Score.objects.filter(review__application__in=applications))
    _delete(Review.objects.filter(application__in=applications))
    _delete(Decision.objects.filter(application__in=applications))
    _delete(ApplicationLine.objects.filter(application__in=applications))
    _delete(applications)
    _delete(Criterion.objects.filter(call__in=calls))
    _delete(CallOffer.objects.filter(call__in=calls))
    _delete(CallPartner.objects.filter(call__in=calls))
    _delete(calls)
    _delete(PackType.objects.filter(name__endswith=PACK_SUFFIX))
    _delete(Membership.objects.filter(user__in=users))
    _delete(User.groups.through.objects.filter(user__in=users))
    _delete(User.user_permissions.through.objects.filter(user__in=users))
    _delete(Site.objects.filter(centre__in=centres))
    _delete(centres)
    _delete(users)
    _delete(Partner.objects.filter(name__startswith=PARTNER_PREFIX, parent__isnull=False))
    _delete(Partner.objects.filter(name__startswith=PARTNER_PREFIX))
