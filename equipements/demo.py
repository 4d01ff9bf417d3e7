"""The demo data: the three historical editions of "Mon centre social numérique et durable"
(FCSF + Solidatech) and one open edition, reproduced so that the platform's own figures come
out as the operation reported them:

- 2011–2012 and 2012–2013: 1,433 refurbished computers (one per pack, about 90 EUR a pack)
  to FCSF member centres; 97 of those centres opened a digital-mediation space;
- 2014: 180 tablets to 30 centres, a fleet of 6 each (part donated by Huawei, part funded by
  Fondation Free), for projects with a social or environmental aim;
- 95% of the survey answers satisfied or very satisfied.

It also holds what the review, committee and logistics features need to be tried (a call in
review with reviews in every state, a decided pilot call with a confirmed allocation and a
batch in stock to pick it from), none of it delivered so that the figures above stay exact.

Everything is deterministic (a seeded random generator) and written in one transaction;
the data is only created when absent, so running the command twice changes nothing.
"""

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
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
from appels.services import reviewer_conflict, save_review, set_totals_of_unsaved
from centres.geography import DEPARTMENTS, Region
from centres.models import Centre, Membership, Partner, Site, User
from centres.roles import REVIEWERS
from centres.validators import luhn_is_valid

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
from .services import confirm_allocation, propose_allocation

SEED = 2011
MARKER_SLUG = "mcsnd-2011"
PARIS = timezone.get_fixed_timezone(60)

# (city, postal code, department): where the demo's member centres are.
CITIES = [
    ("Lille", "59000", "59"), ("Roubaix", "59100", "59"), ("Tourcoing", "59200", "59"),
    ("Dunkerque", "59140", "59"), ("Valenciennes", "59300", "59"), ("Lens", "62300", "62"),
    ("Arras", "62000", "62"), ("Amiens", "80000", "80"), ("Beauvais", "60000", "60"),
    ("Paris 19e", "75019", "75"), ("Paris 20e", "75020", "75"), ("Paris 18e", "75018", "75"),
    ("Saint-Denis", "93200", "93"), ("Montreuil", "93100", "93"), ("Aubervilliers", "93300", "93"),
    ("Nanterre", "92000", "92"), ("Créteil", "94000", "94"), ("Évry-Courcouronnes", "91000", "91"),
    ("Cergy", "95000", "95"), ("Mantes-la-Jolie", "78200", "78"), ("Meaux", "77100", "77"),
    ("Lyon 8e", "69008", "69"), ("Vénissieux", "69200", "69"), ("Villeurbanne", "69100", "69"),
    ("Grenoble", "38000", "38"), ("Saint-Étienne", "42000", "42"),
    ("Clermont-Ferrand", "63000", "63"),
    ("Chambéry", "73000", "73"), ("Annecy", "74000", "74"), ("Valence", "26000", "26"),
    ("Marseille 13e", "13013", "13"), ("Marseille 15e", "13015", "13"), ("Nice", "06000", "06"),
    ("Avignon", "84000", "84"), ("Toulon", "83000", "83"), ("Toulouse", "31000", "31"),
    ("Montpellier", "34000", "34"), ("Nîmes", "30000", "30"), ("Perpignan", "66000", "66"),
    ("Albi", "81000", "81"), ("Bordeaux", "33000", "33"), ("Pessac", "33600", "33"),
    ("Limoges", "87000", "87"), ("Poitiers", "86000", "86"), ("La Rochelle", "17000", "17"),
    ("Pau", "64000", "64"), ("Nantes", "44000", "44"), ("Saint-Nazaire", "44600", "44"),
    ("Angers", "49000", "49"), ("Le Mans", "72000", "72"), ("La Roche-sur-Yon", "85000", "85"),
    ("Rennes", "35000", "35"), ("Brest", "29200", "29"), ("Lorient", "56100", "56"),
    ("Saint-Brieuc", "22000", "22"), ("Rouen", "76000", "76"), ("Le Havre", "76600", "76"),
    ("Caen", "14000", "14"), ("Cherbourg-en-Cotentin", "50100", "50"),
    ("Strasbourg", "67000", "67"),
    ("Mulhouse", "68100", "68"), ("Metz", "57000", "57"), ("Nancy", "54000", "54"),
    ("Reims", "51100", "51"), ("Troyes", "10000", "10"), ("Dijon", "21000", "21"),
    ("Besançon", "25000", "25"), ("Chalon-sur-Saône", "71100", "71"), ("Auxerre", "89000", "89"),
    ("Orléans", "45000", "45"), ("Tours", "37000", "37"), ("Bourges", "18000", "18"),
    ("Blois", "41000", "41"), ("Ajaccio", "20000", "2A"),
    ("Saint-Denis (La Réunion)", "97400", "974"),
]  # fmt: skip
CENTRE_NAMES = [
    "Centre social {q}", "Maison de quartier {q}", "Centre socioculturel {q}",
    "Espace de vie sociale {q}", "Maison pour tous {q}", "Centre social et culturel {q}",
]  # fmt: skip
QUARTERS = [
    "des Trois Cités", "du Vieux Moulin", "Jean-Jaurès", "des Bords de Loire", "Louise-Michel",
    "de la Source", "du Pont-Neuf", "des Tilleuls", "Simone-Veil", "des Hauts de Ville",
    "Pablo-Picasso", "de la Gare", "Les Marronniers", "Aimé-Césaire", "du Centre",
    "Victor-Hugo", "des Coteaux", "Nelson-Mandela", "du Parc", "de l’Europe",
]  # fmt: skip
FIRST_NAMES = [
    "Camille",
    "Nadia",
    "Karim",
    "Sophie",
    "Mamadou",
    "Julie",
    "Thomas",
    "Fatima",
    "Hélène",
    "Yacine",
    "Claire",
    "Olivier",
    "Aïcha",
    "Pierre",
    "Leïla",
    "Nicolas",
]
LAST_NAMES = [
    "Martin",
    "Benali",
    "Durand",
    "Nguyen",
    "Lefèvre",
    "Diallo",
    "Moreau",
    "Haddad",
    "Girard",
    "Traoré",
    "Roux",
    "Mercier",
    "Kone",
    "Fontaine",
    "Rousseau",
    "Petit",
]
AUDIENCES = [
    "Familles du quartier, seniors isolés et jeunes de 11 à 17 ans.",
    "Demandeurs d’emploi, allocataires du RSA et habitants éloignés du numérique.",
    "Enfants de l’accompagnement à la scolarité et leurs parents.",
    "Personnes âgées, habitants allophones et familles monoparentales.",
]
ACTIVITIES = [
    "Ateliers hebdomadaires d’initiation, accès libre accompagné, aide aux démarches en ligne.",
    "Accompagnement à la scolarité, ateliers parents-enfants, création d’un blog de quartier.",
    "Permanences d’aide aux démarches, ateliers CV et recherche d’emploi, club photo numérique.",
    "Atelier seniors « premiers pas », cafés numériques, fabrication d’un journal vidéo.",
]
TESTIMONIALS = [
    "Les ordinateurs sont arrivés prêts à l’emploi : notre espace numérique a ouvert en une "
    "semaine et les familles viennent tous les mercredis.",
    "Matériel de bonne qualité, installation très simple, et le SAV a répondu le jour même.",
    "Grâce aux tablettes, les enfants de l’accompagnement scolaire travaillent en petits groupes.",
    "Les seniors de l’atelier numérique ont pris confiance : ils font maintenant leurs démarches "
    "seuls.",
]

DEMO_ACCOUNTS = [
    # role, email, first name, last name
    ("staff-centre-a", "camille.martin@cs-trois-cites.example.org", "Camille", "Martin"),
    ("staff-centre-b", "karim.benali@mq-vieux-moulin.example.org", "Karim", "Benali"),
    ("reviewer", "evaluatrice@fcsf.example.org", "Hélène", "Girard"),
    # A reviewer of the Hauts-de-France federation: never drafted for its own centres.
    ("reviewer-hdf", "evaluateur@fcs-hauts-de-france.example.org", "Mamadou", "Traoré"),
    ("programme-manager", "programme@solidatech.example.org", "Olivier", "Mercier"),
    ("logistics", "logistique@ateliers-du-bocage.example.org", "Yacine", "Diallo"),
    ("admin", "admin@solidaire.example.org", "Claire", "Rousseau"),
]


@dataclass(frozen=True)
class Edition:
    slug: str
    title: str
    edition: str
    opens: date
    closes: date
    decided: date
    deliveries: tuple  # first and last delivery dates
    selected: int  # centres selected and equipped
    rejected: int
    waitlisted: int
    withdrawn: int
    devices: int  # devices delivered over the edition
    price: Decimal
    cap: int
    is_tablets: bool = False


TITLE = "Mon centre social numérique et durable"
EDITIONS = [
    Edition("mcsnd-2011", TITLE, "2011–2012", date(2011, 9, 5), date(2011, 11, 30),
            date(2012, 1, 17), (date(2012, 2, 6), date(2012, 6, 29)),
            selected=120, rejected=26, waitlisted=6, withdrawn=8, devices=700,
            price=Decimal("89.00"), cap=20),
    Edition("mcsnd-2012", TITLE, "2012–2013", date(2012, 9, 3), date(2012, 11, 30),
            date(2013, 1, 22), (date(2013, 2, 4), date(2013, 7, 5)),
            selected=130, rejected=31, waitlisted=4, withdrawn=7, devices=733,
            price=Decimal("91.00"), cap=20),
    Edition("mcsnd-2014-tablettes", f"{TITLE} – tablettes", "2014", date(2014, 2, 3),
            date(2014, 4, 15), date(2014, 5, 20), (date(2014, 6, 10), date(2014, 9, 26)),
            selected=30, rejected=38, waitlisted=5, withdrawn=3, devices=180,
            price=Decimal("150.00"), cap=1, is_tablets=True),
]  # fmt: skip
MEDIATION_SPACES = 97
SURVEY_DISSATISFIED = 14  # of 280 answers: 95 % satisfied
CENTRE_COUNT = 310

# Later additions, each created on its own when absent (see DemoExtras).
REVIEW_SLUG = "portables-accompagnement-scolaire"
PILOT_SLUG = "pilote-postes-espaces-de-vie-sociale"
PILOT_BATCH = "LOT-BOCAGE-PILOTE"
LAPTOP_PACK = "Pack ordinateur portable reconditionné"


def make_siret(rng, used):
    """A random SIRET that passes the Luhn check (as real SIRETs do)."""
    while True:
        body = f"{rng.randrange(10**12, 10**13):013d}"
        for digit in "0123456789":
            siret = body + digit
            if luhn_is_valid(siret) and siret not in used:
                used.add(siret)
                return siret


def split_total(total, parts, low, high, rng):
    """``parts`` integers in ``[low, high]`` summing exactly to ``total``."""
    values = [rng.randint(low, high) for _ in range(parts)]
    while sum(values) != total:
        index = rng.randrange(parts)
        if sum(values) < total and values[index] < high:
            values[index] += 1
        elif sum(values) > total and values[index] > low:
            values[index] -= 1
    return values


def at(day, hour=10, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def spread(first, last, count, rng):
    """``count`` sorted dates between ``first`` and ``last``."""
    days = (last - first).days
    return sorted(first + timedelta(days=rng.randint(0, days)) for _ in range(count))


class DemoBuilder:
    def __init__(self, stdout=None):
        self.rng = random.Random(SEED)
        self.stdout = stdout
        self.sirets = set()
        self.serial = 0
        self.now = timezone.now()

    # -- entry point ---------------------------------------------------------------------

    def is_seeded(self):
        return Call.objects.filter(slug=MARKER_SLUG).exists()

    @transaction.atomic
    def build(self):
        """Create what is missing: the history and the open call, then each later addition
        (a call in review, the logistics pilot) on its own, so that an existing demo database
        gets them on the next ``seed_demo``. Returns whether anything was created."""
        created = False
        if not self.is_seeded():
            self.partners()
            self.catalogue()
            self.centres()
            self.accounts()
            for edition in EDITIONS:
                self.past_edition(edition)
            self.survey_answers()
            self.open_edition()
            created = True
        extras = DemoExtras(self.now)
        created |= extras.demo_reviewers()
        if not Call.objects.filter(slug=REVIEW_SLUG).exists():
            extras.review_call()
            created = True
        if not Call.objects.filter(slug=PILOT_SLUG).exists():
            extras.logistics_pilot()
            created = True
        return created

    # -- directory -----------------------------------------------------------------------

    def partner(self, name, kind, **fields):
        if "siret" in fields and fields["siret"] is None:
            fields["siret"] = make_siret(self.rng, self.sirets)
        return Partner.objects.create(name=name, kind=kind, **fields)

    def partners(self):
        K = Partner.Kind
        self.fcsf = self.partner(
            "Fédération des centres sociaux et socioculturels de France (FCSF)",
            K.FEDERATION,
            siret=None,
            address="10 rue Montcalm",
            postal_code="75018",
            city="Paris",
            website="https://www.centres-sociaux.fr",
            region=Region.ILE_DE_FRANCE,
        )
        self.solidatech = self.partner(
            "Solidatech",
            K.OPERATOR,
            siret=None,
            address="3 rue de la Fontaine",
            postal_code="49300",
            city="Cholet",
            email="contact@solidatech.example.org",
            website="https://www.solidatech.fr",
            region=Region.PAYS_DE_LA_LOIRE,
        )
        self.bocage = self.partner(
            "Ateliers du Bocage",
            K.REFURBISHER,
            siret=None,
            address="Le Pin",
            postal_code="79140",
            city="Le Pin",
            region=Region.NOUVELLE_AQUITAINE,
        )
        self.free = self.partner("Fondation Free", K.FUNDER, siret=None, city="Paris")
        self.huawei = self.partner("Huawei", K.DONOR, siret=None, city="Boulogne-Billancourt")
        self.federations = {}
        for region in sorted({DEPARTMENTS[c[2]][1] for c in CITIES}):
            self.federations[region] = self.partner(
                f"Fédération des centres sociaux – {Region(region).label}",
                K.FEDERATION,
                parent=self.fcsf,
                region=region,
            )

    def catalogue(self):
        self.computer_pack = PackType.objects.create(
            name="Pack informatique reconditionné",
            kind=PackType.Kind.DESKTOP,
            units_per_pack=1,
            composition="Unité centrale reconditionnée, écran 19 pouces, clavier, souris, "
            "système et logiciels libres installés",
            market_value=Decimal("450.00"),
        )
        self.tablet_pack = PackType.objects.create(
            name="Flotte de 6 tablettes",
            kind=PackType.Kind.TABLET,
            units_per_pack=6,
            composition="6 tablettes 10 pouces avec housses de protection et chargeurs",
            market_value=Decimal("1500.00"),
        )
        self.desktop_models = [
            DeviceModel.objects.create(
                manufacturer=m,
                name=n,
                kind=DeviceModel.Kind.DESKTOP,
                specifications=s,
                weight_kg=Decimal(w),
            )
            for m, n, s, w in [
                ("Dell", "OptiPlex 780", "Core 2 Duo E8400, 4 Go, 160 Go", "9.5"),
                ("HP", "Compaq 6000 Pro", "Core 2 Duo E7500, 4 Go, 250 Go", "9.0"),
                ("Lenovo", "ThinkCentre M58", "Core 2 Duo E8500, 4 Go, 250 Go", "8.8"),
            ]
        ]
        self.tablet_model = DeviceModel.objects.create(
            manufacturer="Huawei",
            name="MediaPad 10 Link",
            kind=DeviceModel.Kind.TABLET,
            specifications="10,1 pouces, 16 Go, Wi-Fi",
            weight_kg=Decimal("0.66"),
        )

    def centres(self):
        self.centre_list = []
        names = set()
        for index in range(CENTRE_COUNT):
            city, postal_code, department = CITIES[index % len(CITIES)]
            while True:
                name = self.rng.choice(CENTRE_NAMES).format(q=self.rng.choice(QUARTERS))
                if (name, city) not in names:
                    names.add((name, city))
                    break
            region = DEPARTMENTS[department][1]
            centre = Centre(
                name=name,
                siret=make_siret(self.rng, self.sirets),
                fcsf_member_number=f"FCSF-{department}-{index + 1:04d}",
                membership_valid_until=date(self.now.year + 1, 12, 31),
                federation=self.federations[region],
                address=f"{self.rng.randint(1, 120)} rue {self.rng.choice(QUARTERS)[3:].strip()}",
                postal_code=postal_code,
                city=city,
                department=department,
                email=f"accueil{index + 1}@centres-sociaux.example.org",
                phone=f"0{self.rng.randint(1, 5)} {self.rng.randint(10, 99)} "
                f"{self.rng.randint(10, 99)} {self.rng.randint(10, 99)} {self.rng.randint(10, 99)}",
            )
            centre.region = region
            self.centre_list.append(centre)
        # The two demo centres come first (fixed names so the demo reads well).
        self.centre_list[0].name = "Centre social des Trois Cités"
        self.centre_list[1].name = "Maison de quartier du Vieux Moulin"
        # One centre whose membership has lapsed, to show the refusal.
        self.centre_list[-1].membership_valid_until = date(2019, 12, 31)
        Centre.objects.bulk_create(self.centre_list)
        sites = []
        for centre in self.centre_list:
            sites.append(
                Site(
                    centre=centre,
                    name="Siège",
                    address=centre.address,
                    postal_code=centre.postal_code,
                    city=centre.city,
                    contact_name=f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}",
                    contact_phone=centre.phone,
                    contact_email=centre.email,
                )
            )
        first = self.centre_list[0]
        for label in ("Antenne des Tilleuls – aide aux devoirs", "Antenne de la Gare"):
            sites.append(
                Site(
                    centre=first,
                    name=label,
                    address="2 place de la Gare",
                    postal_code=first.postal_code,
                    city=first.city,
                    contact_name="Nadia Haddad",
                    contact_phone=first.phone,
                )
            )
        Site.objects.bulk_create(sites)
        self.main_site = {site.centre_id: site for site in sites if site.name == "Siège"}

    def accounts(self):
        password = settings.DEMO_PASSWORD
        self.users = {}
        for role, email, first, last in DEMO_ACCOUNTS:
            user = User(
                email=email,
                first_name=first,
                last_name=last,
                is_staff=role not in ("staff-centre-a", "staff-centre-b"),
                is_superuser=role == "admin",
            )
            user.set_password(password)
            self.users[role] = user
        self.users["reviewer"].organisation = self.fcsf
        self.users["reviewer-hdf"].organisation = self.federations[Region.HAUTS_DE_FRANCE]
        self.users["programme-manager"].organisation = self.solidatech
        self.users["logistics"].organisation = self.bocage
        self.reviewers = [self.users["reviewer"]]
        for index in range(5):
            user = User(
                email=f"evaluateur{index + 2}@{'fcsf' if index % 2 else 'solidatech'}.example.org",
                first_name=FIRST_NAMES[index + 3],
                last_name=LAST_NAMES[index + 5],
                is_staff=True,
                organisation=self.fcsf if index % 2 else self.solidatech,
            )
            user.set_unusable_password()
            self.reviewers.append(user)
        User.objects.bulk_create([*self.users.values(), *self.reviewers[1:]])
        groups = {g.name: g for g in Group.objects.all()}
        for role, group_name in (
            ("reviewer", "Évaluateurs"),
            ("reviewer-hdf", "Évaluateurs"),
            ("programme-manager", "Chargés de programme"),
            ("logistics", "Logistique"),
        ):
            if group_name in groups:
                self.users[role].groups.add(groups[group_name])
        if "Évaluateurs" in groups:
            groups["Évaluateurs"].user_set.add(*self.reviewers[1:])
        Membership.objects.bulk_create(
            [
                Membership(
                    user=self.users["staff-centre-a"],
                    centre=self.centre_list[0],
                    is_referent=True,
                    role="Directrice",
                ),
                Membership(
                    user=self.users["staff-centre-b"],
                    centre=self.centre_list[1],
                    is_referent=True,
                    role="Animateur multimédia",
                ),
            ]
        )

    # -- past editions -------------------------------------------------------------------

    def new_serial(self, prefix):
        self.serial += 1
        digest = hashlib.sha1(f"{SEED}-{self.serial}".encode()).hexdigest()[:6].upper()
        return f"{prefix}{self.serial:06d}{digest}"

    def criteria(self, call, with_aim):
        rows = [
            ("Qualité du projet de médiation numérique", Decimal("3"), 5),
            ("Publics visés et besoins du territoire", Decimal("2"), 5),
            ("Capacité d’accompagnement des habitants", Decimal("2"), 5),
            ("Partenariats locaux", Decimal("1"), 5),
        ]
        if with_aim:
            rows.append(("Finalité sociale ou environnementale", Decimal("2"), 5))
        return Criterion.objects.bulk_create(
            Criterion(call=call, name=name, weight=weight, max_score=top, position=index)
            for index, (name, weight, top) in enumerate(rows, start=1)
        )

    def call_partners(self, call, tablets):
        roles = [
            (self.fcsf, CallPartner.Role.ORGANISER),
            (self.solidatech, CallPartner.Role.OPERATOR),
        ]
        if tablets:
            roles += [(self.huawei, CallPartner.Role.DONOR), (self.free, CallPartner.Role.FUNDER)]
        else:
            roles += [(self.bocage, CallPartner.Role.REFURBISHER)]
        CallPartner.objects.bulk_create(
            CallPartner(call=call, partner=partner, role=role) for partner, role in roles
        )

    def past_edition(self, ed):
        rng = self.rng
        call = Call.objects.create(
            title=ed.title,
            slug=ed.slug,
            edition=ed.edition,
            status=CallStatus.ARCHIVED,
            summary=(
                "Des flottes de 6 tablettes pour des projets à finalité sociale ou "
                "environnementale."
                if ed.is_tablets
                else "Des ordinateurs reconditionnés à prix solidaire pour ouvrir ou renforcer un "
                "espace de médiation numérique."
            ),
            opens_at=at(ed.opens, 9),
            closes_at=at(ed.closes, 23, 59),
            review_ends_at=at(ed.decided - timedelta(days=7), 18),
            results_published_at=at(ed.decided, 14),
            requires_aim=ed.is_tablets,
            invoice_on_delivery=True,
        )
        self.call_partners(call, ed.is_tablets)
        criteria = self.criteria(call, ed.is_tablets)
        pack = self.tablet_pack if ed.is_tablets else self.computer_pack
        packs_total = ed.devices // pack.units_per_pack
        offer = CallOffer.objects.create(
            call=call,
            pack_type=pack,
            quantity_available=packs_total + (0 if ed.is_tablets else 40),
            solidarity_price=ed.price,
            per_centre_cap=ed.cap,
        )

        # Who applies: the two demo centres were equipped in 2012–2013 and in 2014 (centre A)
        # so their portal has history; the lapsed centre never applies.
        pool = self.centre_list[2:-1]
        counts = ed.selected + ed.rejected + ed.waitlisted + ed.withdrawn
        applicants = rng.sample(pool, counts)
        if ed.slug == "mcsnd-2012":
            applicants[0] = self.centre_list[0]
            applicants[ed.selected] = self.centre_list[1]  # first rejected
        if ed.is_tablets:
            applicants[0] = self.centre_list[0]
        outcomes = (
            [ApplicationStatus.SELECTED] * ed.selected
            + [ApplicationStatus.REJECTED] * ed.rejected
            + [ApplicationStatus.WAITLISTED] * ed.waitlisted
            + [ApplicationStatus.WITHDRAWN] * ed.withdrawn
        )
        if ed.is_tablets:
            quantities = [1] * ed.selected
        else:
            quantities = split_total(packs_total, ed.selected, 2, ed.cap, rng)
        submitted_days = spread(ed.opens + timedelta(days=10), ed.closes, counts, rng)
        applications = []
        for index, (centre, outcome) in enumerate(zip(applicants, outcomes, strict=True)):
            applications.append(
                Application(
                    call=call,
                    centre=centre,
                    site=self.main_site[centre.pk],
                    status=outcome,
                    title=rng.choice(
                        [
                            "Un espace numérique ouvert à tous les habitants",
                            "Le numérique au service de l’accompagnement scolaire",
                            "Ateliers numériques intergénérationnels",
                            "Point d’accès accompagné aux droits en ligne",
                            "Réduire la fracture numérique dans le quartier",
                        ]
                    ),
                    summary="Le centre équipe une salle pour accueillir des ateliers réguliers "
                    "et un accès libre accompagné par un animateur formé.",
                    audience=rng.choice(AUDIENCES),
                    expected_beneficiaries=rng.randint(40, 400),
                    activities=rng.choice(ACTIVITIES),
                    opens_mediation_space=rng.random() < 0.6,
                    partners_description="Mairie, médiathèque, Pôle emploi, collège du secteur.",
                    aim=(
                        "Réemploi du matériel et lutte contre l’isolement des familles."
                        if ed.is_tablets
                        else ""
                    ),
                    submitted_at=at(submitted_days[index], rng.randint(9, 18), rng.randint(0, 59)),
                    decided_at=None
                    if outcome == ApplicationStatus.WITHDRAWN
                    else at(ed.decided, 14),
                    withdrawn_at=at(ed.closes - timedelta(days=3), 11)
                    if outcome == ApplicationStatus.WITHDRAWN
                    else None,
                    waitlist_rank=(index - ed.selected - ed.rejected + 1)
                    if outcome == ApplicationStatus.WAITLISTED
                    else None,
                )
            )
        Application.objects.bulk_create(applications)

        lines = []
        for index, application in enumerate(applications):
            selected = application.status == ApplicationStatus.SELECTED
            granted = quantities[index] if selected else None
            requested = granted if selected else rng.randint(2, ed.cap) if ed.cap > 1 else 1
            if selected and not ed.is_tablets and rng.random() < 0.3:
                requested = min(ed.cap, granted + rng.randint(1, 4))
            lines.append(
                ApplicationLine(
                    application=application,
                    offer=offer,
                    requested_quantity=requested,
                    granted_quantity=granted
                    if selected
                    else (0 if application.status == ApplicationStatus.REJECTED else None),
                    granted_unit_price=offer.solidarity_price if selected else None,
                )
            )
        ApplicationLine.objects.bulk_create(lines)
        self.reviews(call, applications, criteria, ed)
        self.decisions(applications, ed)
        selected = [a for a in applications if a.status == ApplicationStatus.SELECTED]
        self.agreements(selected, ed)
        self.equip(call, selected, lines, offer, pack, ed)
        self.equipped = getattr(self, "equipped", []) + selected

    def reviews(self, call, applications, criteria, ed):
        rng = self.rng
        reviews, scores = [], []
        for application in applications:
            if application.status == ApplicationStatus.WITHDRAWN:
                continue
            strong = application.status == ApplicationStatus.SELECTED
            for reviewer in rng.sample(self.reviewers, 2):
                review = Review(
                    application=application,
                    reviewer=reviewer,
                    status=ReviewStatus.SUBMITTED,
                    comment=rng.choice(
                        [
                            "Projet clair, public bien identifié, partenariats solides.",
                            "Bon ancrage local ; le plan d’animation mériterait d’être précisé.",
                            "Projet ambitieux porté par une équipe expérimentée.",
                            "Besoin réel mais projet encore peu structuré.",
                        ]
                    ),
                    recommendation=(
                        Recommendation.SELECT
                        if strong
                        else rng.choice([Recommendation.REJECT, Recommendation.WAITLIST])
                    ),
                    submitted_at=at(ed.closes + timedelta(days=rng.randint(5, 30)), 20),
                )
                reviews.append(review)
                for criterion in criteria:
                    low, high = (3, 5) if strong else (1, 3)
                    scores.append(
                        Score(review=review, criterion=criterion, value=rng.randint(low, high))
                    )
        set_totals_of_unsaved(scores)
        Review.objects.bulk_create(reviews)
        Score.objects.bulk_create(scores)

    def decisions(self, applications, ed):
        decider = self.users["programme-manager"]
        Decision.objects.bulk_create(
            Decision(
                application=application,
                outcome=application.status,
                rank=rank,
                decided_by=decider,
                decided_at=at(ed.decided, 11),
                published_at=at(ed.decided, 14),
                notified_at=at(ed.decided, 14),
            )
            for rank, application in enumerate(
                (a for a in applications if a.status != ApplicationStatus.WITHDRAWN), start=1
            )
        )

    def agreements(self, selected, ed):
        Agreement.objects.bulk_create(
            Agreement(
                application=application,
                number=f"CONV-{ed.slug.upper()}-{application.pk:05d}",
                status=AgreementStatus.SIGNED,
                issued_at=at(ed.decided, 15),
                signed_at=at(ed.decided + timedelta(days=self.rng.randint(3, 20)), 10),
                signer_name=f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}",
                signer_role="Directeur ou directrice du centre",
            )
            for application in selected
        )

    def equip(self, call, selected, lines, offer, pack, ed):
        """Items in a batch, allocations, shipments and invoices, all delivered."""
        rng = self.rng
        line_of = {line.application_id: line for line in lines}
        provider = self.huawei if ed.is_tablets else self.bocage
        batch = Batch.objects.create(
            partner=provider,
            reference=f"LOT-{ed.slug.upper()}",
            received_on=ed.deliveries[0] - timedelta(days=20),
        )
        deliveries = spread(ed.deliveries[0], ed.deliveries[1], len(selected), rng)
        allocations, alloc_lines, shipments = [], [], []
        for application, delivered_on in zip(selected, deliveries, strict=True):
            line = line_of[application.pk]
            shipped = delivered_on - timedelta(days=rng.randint(2, 5))
            shipments.append(
                Shipment(
                    reference=f"EXP-{ed.slug.upper()}-{application.pk:05d}",
                    site=self.main_site[application.centre_id],
                    status=ShipmentStatus.RECEIVED,
                    parcels=max(1, line.granted_quantity // 2 if not ed.is_tablets else 1),
                    weight_kg=Decimal(line.granted_quantity * (12 if not ed.is_tablets else 5)),
                    carrier=rng.choice(["Colissimo", "DB Schenker", "Geodis"]),
                    tracking_number=f"{rng.randrange(10**12, 10**13)}",
                    shipped_at=at(shipped, 16),
                    delivered_at=at(delivered_on, 11),
                    received_at=at(delivered_on, 15),
                )
            )
        Shipment.objects.bulk_create(shipments)
        for application, shipment in zip(selected, shipments, strict=True):
            allocations.append(
                Allocation(
                    application=application,
                    status=AllocationStatus.DELIVERED,
                    shipment=shipment,
                    confirmed_at=at(ed.decided + timedelta(days=7), 10),
                    delivered_at=shipment.delivered_at,
                )
            )
        Allocation.objects.bulk_create(allocations)
        for allocation, application in zip(allocations, selected, strict=True):
            line = line_of[application.pk]
            alloc_lines.append(
                AllocationLine(
                    allocation=allocation,
                    offer=offer,
                    pack_type=pack,
                    quantity=line.granted_quantity,
                    units_per_pack=pack.units_per_pack,
                    unit_price=line.granted_unit_price,
                    market_unit_value=pack.market_value,
                )
            )
        AllocationLine.objects.bulk_create(alloc_lines)

        items, picked, erasures = [], [], []
        for alloc_line in alloc_lines:
            for _unit in range(alloc_line.device_count):
                if ed.is_tablets:
                    model, provenance, partner = self.tablet_model, Provenance.DONATED, self.huawei
                    if len(items) % 3 == 2:  # part funded by Fondation Free
                        provenance, partner = Provenance.PURCHASED, self.free
                    grade = Grade.NEW
                else:
                    model, provenance, partner = (
                        rng.choice(self.desktop_models),
                        Provenance.REFURBISHED,
                        self.bocage,
                    )
                    grade = rng.choice([Grade.A, Grade.A, Grade.B])
                item = Item(
                    serial_number=self.new_serial("HW" if ed.is_tablets else "RB"),
                    asset_tag=f"SOL-{self.serial:06d}",
                    device_model=model,
                    pack_type=pack,
                    grade=grade,
                    provenance=provenance,
                    provenance_partner=partner,
                    batch=batch,
                    status=ItemStatus.DELIVERED,
                    received_on=batch.received_on,
                )
                items.append(item)
                picked.append((alloc_line, item))
        Item.objects.bulk_create(items)
        AllocatedItem.objects.bulk_create(
            AllocatedItem(line=line, item=item, shipment_id=line.allocation.shipment_id)
            for line, item in picked
        )
        erasures = [
            DataErasure(
                item=item,
                method="Effacement certifié 3 passes (DoD 5220.22-M)",
                erased_on=batch.received_on - timedelta(days=5),
                operator="Ateliers du Bocage",
            )
            for item in items
            if item.provenance == Provenance.REFURBISHED
        ]
        DataErasure.objects.bulk_create(erasures)
        self.invoices(allocations, alloc_lines, selected, ed)

    def invoices(self, allocations, alloc_lines, selected, ed):
        """Gapless, chronological numbers per year, issued at delivery (invoice_on_delivery)."""
        seller = self.solidatech
        rows = sorted(
            zip(allocations, alloc_lines, selected, strict=True),
            key=lambda row: (row[0].delivered_at, row[0].pk),
        )
        counters = {
            c.year: c for c in InvoiceCounter.objects.filter(series=settings.INVOICE_SERIES)
        }
        invoices, invoice_lines = [], []
        for allocation, line, application in rows:
            issued_on = timezone.localtime(allocation.delivered_at).date()
            counter = counters.get(issued_on.year)
            if counter is None:
                counter = InvoiceCounter.objects.create(
                    series=settings.INVOICE_SERIES, year=issued_on.year
                )
                counters[issued_on.year] = counter
            counter.last_number += 1
            total = line.quantity * line.unit_price
            centre = application.centre
            invoice = Invoice(
                kind=InvoiceKind.INVOICE,
                series=settings.INVOICE_SERIES,
                year=issued_on.year,
                sequence_number=counter.last_number,
                number=f"{settings.INVOICE_SERIES}-{issued_on.year}-{counter.last_number:05d}",
                allocation=allocation,
                status=InvoiceStatus.PAID,
                issued_on=issued_on,
                due_on=issued_on + timedelta(days=settings.INVOICE_PAYMENT_DAYS),
                paid_on=issued_on + timedelta(days=self.rng.randint(5, 28)),
                seller_name=seller.name,
                seller_address=seller.postal_address,
                seller_siret=seller.siret,
                buyer_name=centre.name,
                buyer_address=centre.postal_address,
                buyer_siret=centre.siret,
                vat_rate=Decimal("0"),
                vat_mention=settings.INVOICE_VAT_EXEMPTION_MENTION,
                total_excl_tax=total,
                total_vat=Decimal("0"),
                total_incl_tax=total,
                payment_terms=f"Paiement à {settings.INVOICE_PAYMENT_DAYS} jours par virement.",
            )
            invoices.append(invoice)
            invoice_lines.append(
                InvoiceLine(
                    invoice=invoice,
                    position=1,
                    description=str(line.pack_type),
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    total_excl_tax=total,
                )
            )
        Invoice.objects.bulk_create(invoices)
        InvoiceLine.objects.bulk_create(invoice_lines)
        for counter in counters.values():
            counter.save(update_fields=["last_number"])

    def survey_answers(self):
        """Every equipped application answered; 97 computer centres opened a mediation space."""
        rng = self.rng
        equipped = self.equipped
        computer_centres = []
        seen = set()
        for application in equipped:
            if (
                application.call.slug != "mcsnd-2014-tablettes"
                and application.centre_id not in seen
            ):
                seen.add(application.centre_id)
                computer_centres.append(application.centre_id)
        opened = set(rng.sample(computer_centres, MEDIATION_SPACES))
        dissatisfied = set(rng.sample(range(len(equipped)), SURVEY_DISSATISFIED))
        answers = []
        for index, application in enumerate(equipped):
            is_computer = application.call.slug != "mcsnd-2014-tablettes"
            opened_here = is_computer and application.centre_id in opened
            if opened_here:
                opened.discard(application.centre_id)  # counted once, on its first answer
            unhappy = index in dissatisfied
            answers.append(
                SurveyAnswer(
                    application=application,
                    satisfaction=rng.choice([1, 2]) if unhappy else rng.choice([3, 4, 4]),
                    equipment_quality=rng.choice([2, 3]) if unhappy else rng.choice([3, 4, 4]),
                    ease_of_installation=rng.choice([3, 4, 4]),
                    after_sales_responsiveness=rng.choice([None, 3, 4, 4]),
                    opened_mediation_space=opened_here,
                    testimonial=rng.choice(TESTIMONIALS) if rng.random() < 0.25 else "",
                    is_testimonial_publishable=False,
                    answered_at=application.submitted_at + timedelta(days=rng.randint(200, 300)),
                )
            )
        # The tablet testimonial only fits the tablet edition; a programme manager marks a
        # few testimonials publishable: up to two different ones per edition.
        publishable = {}
        for answer, application in zip(answers, equipped, strict=True):
            is_tablets = application.call.slug == "mcsnd-2014-tablettes"
            if answer.testimonial == TESTIMONIALS[2] and not is_tablets:
                answer.testimonial = TESTIMONIALS[0]
            chosen = publishable.setdefault(application.call.slug, {})
            if answer.testimonial and answer.testimonial not in chosen and len(chosen) < 2:
                chosen[answer.testimonial] = answer
                answer.is_testimonial_publishable = True
        SurveyAnswer.objects.bulk_create(answers)

    # -- the open edition ----------------------------------------------------------------

    def open_edition(self):
        rng = self.rng
        now = self.now
        today = timezone.localdate(now)
        call = Call.objects.create(
            title=TITLE,
            slug=f"mcsnd-{now.year + 1}",
            edition=f"{now.year}–{now.year + 1}",
            status=CallStatus.OPEN,
            summary="Nouvelle édition : ordinateurs reconditionnés et flottes de tablettes pour "
            "les projets de médiation numérique des centres adhérents.",
            description="Les centres sociaux adhérents présentent un projet de médiation "
            "numérique (espace public numérique, accompagnement scolaire, aide aux démarches…). "
            "Les projets retenus reçoivent du matériel reconditionné à prix solidaire, livré "
            "sur le site de leur choix, avec un service après-vente.",
            opens_at=at(today - timedelta(days=20), 9),
            closes_at=at(today + timedelta(days=70), 12),
            review_ends_at=at(today + timedelta(days=100), 18),
            requires_aim=False,
        )
        self.call_partners(call, tablets=False)
        CallPartner.objects.create(call=call, partner=self.free, role=CallPartner.Role.FUNDER)
        self.criteria(call, with_aim=False)
        computers = CallOffer.objects.create(
            call=call,
            pack_type=self.computer_pack,
            quantity_available=200,
            solidarity_price=Decimal("90.00"),
            per_centre_cap=10,
        )
        CallOffer.objects.create(
            call=call,
            pack_type=self.tablet_pack,
            quantity_available=20,
            solidarity_price=Decimal("150.00"),
            per_centre_cap=1,
        )
        # Stock ready for it: refurbished computers and tablets.
        batch = Batch.objects.create(
            partner=self.bocage,
            reference=f"LOT-{call.slug.upper()}",
            received_on=timezone.localdate(now) - timedelta(days=30),
        )
        tablets = Batch.objects.create(
            partner=self.huawei,
            reference=f"LOT-{call.slug.upper()}-TAB",
            received_on=batch.received_on,
        )
        items = [
            Item(
                serial_number=self.new_serial("RB"),
                asset_tag=f"SOL-{self.serial:06d}",
                device_model=rng.choice(self.desktop_models),
                pack_type=self.computer_pack,
                grade=rng.choice([Grade.A, Grade.B]),
                provenance=Provenance.REFURBISHED,
                provenance_partner=self.bocage,
                batch=batch,
                received_on=batch.received_on,
            )
            for _ in range(240)
        ] + [
            Item(
                serial_number=self.new_serial("HW"),
                asset_tag=f"SOL-{self.serial:06d}",
                device_model=self.tablet_model,
                pack_type=self.tablet_pack,
                grade=Grade.NEW,
                provenance=Provenance.DONATED,
                provenance_partner=self.huawei,
                batch=tablets,
                received_on=tablets.received_on,
            )
            for _ in range(120)
        ]
        Item.objects.bulk_create(items)
        DataErasure.objects.bulk_create(
            DataErasure(
                item=item,
                method="Effacement certifié 3 passes (DoD 5220.22-M)",
                erased_on=batch.received_on,
                operator="Ateliers du Bocage",
            )
            for item in items
            if item.provenance == Provenance.REFURBISHED
        )
        # Applications under way: centre B has a draft (to try isolation with centre A, which
        # has not applied yet); a dozen other centres have submitted.
        applicants = [self.centre_list[1], *rng.sample(self.centre_list[2:-1], 14)]
        applications = []
        for index, centre in enumerate(applicants):
            submitted = index >= 3
            applications.append(
                Application(
                    call=call,
                    centre=centre,
                    site=self.main_site[centre.pk],
                    status=ApplicationStatus.SUBMITTED if submitted else ApplicationStatus.DRAFT,
                    title="Un espace numérique pour les familles du quartier",
                    summary="Un espace numérique accompagné, trois après-midi par semaine.",
                    audience=rng.choice(AUDIENCES),
                    expected_beneficiaries=rng.randint(40, 300),
                    activities=rng.choice(ACTIVITIES),
                    opens_mediation_space=True,
                    created_by=self.users["staff-centre-b"] if index == 0 else None,
                    submitted_at=now - timedelta(days=rng.randint(1, 15), hours=rng.randint(0, 8))
                    if submitted
                    else None,
                )
            )
        Application.objects.bulk_create(applications)
        ApplicationLine.objects.bulk_create(
            ApplicationLine(
                application=application, offer=computers, requested_quantity=rng.randint(2, 10)
            )
            for application in applications
        )


# -- later additions -----------------------------------------------------------------------

# A call in review: twelve projects for a few refurbished laptops, more than the stock.
# (title, summary, audience, activities, partners, expected beneficiaries, packs requested)
REVIEW_PROJECTS = [
    ("Des portables pour l’aide aux devoirs du soir",
     "Le CLAS accueille 45 collégiens quatre soirs par semaine ; les devoirs passent par l’ENT "
     "et Pronote, que beaucoup ne consultent que sur le téléphone de leurs parents.",
     "Collégiens de la 6e à la 3e suivis par l’accompagnement à la scolarité, et leurs parents.",
     "Aide aux devoirs sur l’ENT, ateliers « Pronote en famille » un samedi par mois, prêt de "
     "portables pour préparer les exposés.",
     "Collège du secteur, service jeunesse de la ville, médiathèque.", 60, 3),
    ("Atelier numérique mobile en pied d’immeuble",
     "Une animatrice se déplace en pied d’immeuble et dans les écoles avec une valise de "
     "portables, pour aller vers les familles qui ne viennent pas au centre.",
     "Familles des quartiers prioritaires, parents allophones, seniors isolés.",
     "Permanences hebdomadaires en pied d’immeuble, ateliers dans deux écoles élémentaires, "
     "aide aux démarches CAF et ANTS.",
     "Bailleur social, deux écoles élémentaires, CAF.", 150, 3),
    ("Parents et enfants apprennent ensemble",
     "Des ateliers parents-enfants le mercredi pour comprendre les outils de l’école, le "
     "contrôle parental et la place des écrans à la maison.",
     "Parents d’élèves des écoles élémentaires, en particulier les familles monoparentales.",
     "Ateliers parents-enfants, soirée-débat sur les écrans chaque trimestre, initiation au "
     "traitement de texte.",
     "Réseau d’éducation prioritaire, PMI, association de parents d’élèves.", 80, 2),
    ("Coup de pouce numérique pour l’orientation des lycéens",
     "Les lycéens du quartier préparent Parcoursup et leurs recherches de stage avec un "
     "animateur et des étudiants bénévoles.",
     "Lycéens de la seconde à la terminale, jeunes décrocheurs suivis par la mission locale.",
     "Permanences Parcoursup de janvier à mars, ateliers CV et lettre de motivation, tutorat "
     "par des étudiants bénévoles.",
     "Mission locale, lycée professionnel, AFEV.", 45, 2),
    ("Club vidéo et programmation des 9–14 ans",
     "Un club du mercredi où les enfants de l’accueil de loisirs réalisent des courts métrages "
     "et apprennent les bases de la programmation avec Scratch.",
     "Enfants de 9 à 14 ans de l’accueil de loisirs.",
     "Club le mercredi après-midi, stage pendant les vacances, projection publique en fin "
     "d’année.",
     "Cinéma municipal, association de culture scientifique.", 35, 2),
    ("Français et démarches en ligne pour les adultes allophones",
     "Les ateliers sociolinguistiques s’appuient sur des exercices en ligne et préparent aux "
     "démarches dématérialisées (titre de séjour, France Travail).",
     "Adultes allophones inscrits aux ateliers sociolinguistiques.",
     "Exercices en ligne pendant les cours, création d’une adresse e-mail et d’un espace "
     "personnel, permanences d’aide aux démarches.",
     "CCAS, France Travail, association d’alphabétisation.", 70, 3),
    ("Seniors connectés dans les communes rurales",
     "Des ateliers itinérants dans trois mairies du canton pour que les aînés gardent le lien "
     "avec leurs proches et fassent leurs démarches de retraite et de santé en ligne.",
     "Personnes de plus de 65 ans vivant dans les communes rurales du canton.",
     "Ateliers itinérants, visio avec les petits-enfants, accompagnement sur Ameli et l’espace "
     "retraite.",
     "Communauté de communes, CARSAT, club des aînés.", 50, 3),
    ("Le numérique pour l’insertion des femmes",
     "Un parcours de douze semaines pour des femmes éloignées de l’emploi : bureautique, "
     "recherche d’emploi, candidatures en ligne.",
     "Femmes éloignées de l’emploi, allocataires du RSA, mères isolées.",
     "Parcours bureautique, ateliers CV, entretiens simulés en visio ; garde des enfants "
     "assurée pendant les séances.",
     "Département (service insertion), France Travail, entreprise d’insertion.", 24, 2),
    ("Un journal de quartier écrit par les habitants",
     "Un comité de rédaction d’habitants publie chaque trimestre un journal papier et en ligne : "
     "écriture, photo, mise en page.",
     "Habitants de tous âges, jeunes du club ados, bénévoles du centre.",
     "Comité de rédaction hebdomadaire, ateliers photo et mise en page, publication en ligne.",
     "Radio associative, conseil citoyen, bibliothèque de quartier.", 40, 1),
    ("Aide aux démarches en ligne au plus près des habitants",
     "Le centre, labellisé France services, n’a que deux postes en accès libre : les "
     "permanences d’aide aux démarches sont saturées.",
     "Habitants éloignés du numérique, personnes âgées, demandeurs d’asile.",
     "Permanences quotidiennes, ateliers « autonomie numérique » en petits groupes, prêt d’un "
     "portable pendant les formations.",
     "France services, CCAS, écrivain public bénévole.", 200, 3),
    ("Repair café et logiciels libres",
     "Les habitants apprennent à entretenir et réparer leur matériel ; les portables servent "
     "aux ateliers de logiciels libres et de sécurité en ligne.",
     "Habitants du quartier, jeunes en service civique, bénévoles bricoleurs.",
     "Repair café mensuel, ateliers logiciels libres et sécurité en ligne, sensibilisation au "
     "réemploi.",
     "Ressourcerie, association de logiciels libres, collectif zéro déchet.", 90, 1),
    ("Parentalité numérique à la halte-garderie",
     "Les parents suivent des ateliers courts pendant l’accueil de leurs enfants : démarches "
     "CAF, ENT de la maternelle, écrans et tout-petits.",
     "Parents de jeunes enfants fréquentant la halte-garderie.",
     "Ateliers de 45 minutes pendant l’accueil, permanence CAF mensuelle, café des parents.",
     "CAF, PMI, relais petite enfance.", 55, 2),
]  # fmt: skip
REVIEW_CRITERIA = [
    ("Qualité du projet d’accompagnement", Decimal("3"), 5),
    ("Publics visés et besoins du territoire", Decimal("2"), 5),
    ("Capacité à animer et à entretenir le matériel", Decimal("1"), 5),
]
# Scores on the three criteria (weighted totals 96.67, 76.67, 60, 36.67 and 26.67 out of 100).
PROFILES = {
    "strong": ((5, 5, 4), Recommendation.SELECT),
    "good": ((4, 4, 3), Recommendation.SELECT),
    "medium": ((3, 3, 3), Recommendation.WAITLIST),
    "weak": ((2, 2, 1), Recommendation.REJECT),
    "poor": ((1, 2, 1), Recommendation.REJECT),
}
# Two reviews per project, in REVIEW_PROJECTS order: (who, status, profile, comment). "pool" is
# one of the five reviewers without a login, in turn. Projects 2 and 3 split their reviewers
# (more than REVIEW_DISAGREEMENT_POINTS apart). The first project is centre A's, in
# Hauts-de-France: the Hauts-de-France reviewer may not review it (conflict rule).
DONE, DRAFT, TODO = ReviewStatus.SUBMITTED, ReviewStatus.DRAFT, ReviewStatus.ASSIGNED
REVIEW_PLAN = [
    (("reviewer", DONE, "strong", "Projet très concret, public bien identifié, lien solide avec "
      "le collège."),
     ("pool", DONE, "good", "Bon projet ; préciser qui assure l’entretien des portables.")),
    (("reviewer", DONE, "good", "Démarche d’« aller vers » convaincante, budget réaliste."),
     ("reviewer-hdf", DONE, "medium", "Intéressant, mais le transport du matériel n’est pas "
      "prévu.")),
    (("reviewer", DONE, "strong", "Excellent projet de parentalité, déjà testé avec succès."),
     ("pool", DONE, "weak", "Peu d’éléments sur le nombre de familles réellement touchées.")),
    (("reviewer", DONE, "weak", "Projet encore flou : qui anime les permanences ?"),
     ("reviewer-hdf", DONE, "strong", "Besoin criant au moment de Parcoursup ; partenariat "
      "solide avec la mission locale.")),
    (("reviewer", DONE, "medium", "Projet sympathique ; l’usage des portables hors du club "
      "reste à préciser."),
     ("reviewer-hdf", DRAFT, "medium", "")),
    (("reviewer", DONE, "poor", "Les cours existent déjà ; le lien avec le matériel "
      "demandé est ténu."),
     ("pool", DONE, "weak", "Pertinent, mais la demande dépasse les besoins décrits.")),
    (("reviewer", DRAFT, "good", ""),
     ("pool", DONE, "good", "Bon maillage rural, partenaires engagés.")),
    (("reviewer", DRAFT, "medium", ""),
     ("reviewer-hdf", TODO, None, "")),
    (("reviewer", TODO, None, ""),
     ("pool", DONE, "medium", "Projet modeste et réaliste ; un portable suffit.")),
    (("reviewer-hdf", DONE, "good", "Besoin important, permanences déjà saturées."),
     ("pool", DONE, "strong", "Projet exemplaire, fréquentation chiffrée et partenaires "
      "engagés.")),
    (("reviewer-hdf", TODO, None, ""),
     ("pool", DRAFT, "good", "")),
    (("reviewer", TODO, None, ""),
     ("reviewer-hdf", TODO, None, "")),
]  # fmt: skip


class DemoExtras:
    """What the demo gained after the history: a call in review with reviews in every state,
    and a decided pilot call whose one allocation is confirmed and ready to pick.

    Each part is created when absent, also in a database seeded before it existed. Nothing
    here is delivered, so the historical figures stay exactly as they are.
    """

    def __init__(self, now):
        self.now = now
        self.today = timezone.localdate(now)
        self.rng = random.Random(SEED + 1)

    # -- context, read back from the database --------------------------------------------

    def partner(self, **lookup):
        return Partner.objects.get(**lookup)

    def hdf_federation(self):
        return Partner.objects.get(
            kind=Partner.Kind.FEDERATION,
            region=Region.HAUTS_DE_FRANCE,
            parent__isnull=False,
        )

    def account(self, role):
        email = next(e for r, e, _first, _last in DEMO_ACCOUNTS if r == role)
        return User.objects.get(email=email)

    def centre_of(self, role):
        return Membership.objects.select_related("centre").get(user=self.account(role)).centre

    def member_centres(self, exclude=()):
        """Member centres outside Hauts-de-France (no conflict for its reviewer)."""
        return list(
            Centre.objects.filter(membership_valid_until__gte=self.today)
            .exclude(region=Region.HAUTS_DE_FRANCE)
            .exclude(pk__in=[c.pk for c in exclude])
            .order_by("pk")
        )

    def main_site(self, centre):
        return Site.objects.filter(centre=centre).order_by("pk").first()

    # -- parts ---------------------------------------------------------------------------

    def demo_reviewers(self):
        """Both demo reviewers exist and hold the reviewer role; returns whether one was made."""
        created = False
        _role, email, first, last = next(a for a in DEMO_ACCOUNTS if a[0] == "reviewer-hdf")
        if not User.objects.filter(email=email).exists():
            user = User(
                email=email,
                first_name=first,
                last_name=last,
                is_staff=True,
                organisation=self.hdf_federation(),
            )
            user.set_password(settings.DEMO_PASSWORD)
            user.save()
            created = True
        group, _created = Group.objects.get_or_create(name=REVIEWERS)
        missing = User.objects.filter(email__in=[self.account("reviewer").email, email]).exclude(
            groups=group
        )
        if missing.exists():
            group.user_set.add(*missing)
            created = True
        return created

    def call_partners(self, call):
        CallPartner.objects.bulk_create(
            [
                CallPartner(call=call, partner=self.fcsf, role=CallPartner.Role.ORGANISER),
                CallPartner(call=call, partner=self.solidatech, role=CallPartner.Role.OPERATOR),
                CallPartner(call=call, partner=self.bocage, role=CallPartner.Role.REFURBISHER),
            ]
        )

    def load_partners(self):
        self.fcsf = self.partner(kind=Partner.Kind.FEDERATION, parent__isnull=True)
        self.solidatech = self.partner(name="Solidatech")
        self.bocage = self.partner(name="Ateliers du Bocage")

    def review_call(self):
        """Closed four days ago, in review for ten more days: reviews done, drafted, to do."""
        rng, today = self.rng, self.today
        self.load_partners()
        laptops, _created = PackType.objects.get_or_create(
            name=LAPTOP_PACK,
            defaults={
                "kind": PackType.Kind.LAPTOP,
                "units_per_pack": 1,
                "composition": "Ordinateur portable 14 pouces reconditionné, chargeur, "
                "sacoche, système et logiciels libres installés",
                "market_value": Decimal("600.00"),
            },
        )
        call = Call.objects.create(
            title="Des ordinateurs portables pour l’accompagnement à la scolarité",
            slug=REVIEW_SLUG,
            edition=f"{today.year} – portables",
            status=CallStatus.REVIEW,
            summary="Des portables reconditionnés pour les projets d’accompagnement à la "
            "scolarité et de parentalité numérique des centres adhérents.",
            description="Un petit stock de portables reconditionnés par les Ateliers du "
            "Bocage, pour des projets où le matériel se déplace : aide aux devoirs, "
            "ateliers itinérants, permanences hors les murs.",
            opens_at=at(today - timedelta(days=62), 9),
            closes_at=at(today - timedelta(days=4), 12),
            review_ends_at=at(today + timedelta(days=10), 18),
            reviewers_per_application=2,
            conflict_rule=Call.ConflictRule.SAME_ORGANISATION,
            requires_aim=False,
        )
        self.call_partners(call)
        criteria = Criterion.objects.bulk_create(
            Criterion(call=call, name=name, weight=weight, max_score=top, position=index)
            for index, (name, weight, top) in enumerate(REVIEW_CRITERIA, start=1)
        )
        offer = CallOffer.objects.create(
            call=call,
            pack_type=laptops,
            quantity_available=12,
            solidarity_price=Decimal("120.00"),
            per_centre_cap=3,
        )
        centre_a = self.centre_of("staff-centre-a")
        centre_b = self.centre_of("staff-centre-b")
        others = rng.sample(self.member_centres(exclude=[centre_a, centre_b]), 11)
        applications = []
        for index, (centre, project) in enumerate(
            zip([centre_a, *others], REVIEW_PROJECTS, strict=True)
        ):
            title, summary, audience, activities, partners, beneficiaries, _packs = project
            applications.append(
                Application(
                    call=call,
                    centre=centre,
                    site=self.main_site(centre),
                    status=ApplicationStatus.SUBMITTED,
                    title=title,
                    summary=summary,
                    audience=audience,
                    expected_beneficiaries=beneficiaries,
                    activities=activities,
                    opens_mediation_space=index % 3 == 0,
                    partners_description=partners,
                    created_by=self.account("staff-centre-a") if index == 0 else None,
                    submitted_at=call.closes_at
                    - timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 9)),
                )
            )
        Application.objects.bulk_create(applications)
        ApplicationLine.objects.bulk_create(
            ApplicationLine(application=application, offer=offer, requested_quantity=project[-1])
            for application, project in zip(applications, REVIEW_PROJECTS, strict=True)
        )
        self.reviews(call, applications, criteria)

    def reviews(self, call, applications, criteria):
        """Assign as planned (checking the conflict rule), then score with the service."""
        people = {role: self.account(role) for role in ("reviewer", "reviewer-hdf")}
        pool = list(
            User.objects.filter(is_active=True, groups__name=REVIEWERS)
            .exclude(pk__in=[u.pk for u in people.values()])
            .distinct()
            .order_by("pk")
        )
        turn = 0
        planned = []
        for application, plan in zip(applications, REVIEW_PLAN, strict=True):
            for who, status, profile, comment in plan:
                if who == "pool":
                    reviewer, turn = pool[turn % len(pool)], turn + 1
                else:
                    reviewer = people[who]
                conflict = reviewer_conflict(call, application, reviewer)
                if conflict:  # the plan is written to respect the rule
                    raise ValueError(f"{reviewer} on {application.centre}: {conflict}")
                review = Review(application=application, reviewer=reviewer)
                planned.append((review, status, profile, comment))
        Review.objects.bulk_create(row[0] for row in planned)
        for review, status, profile, comment in planned:
            if status == ReviewStatus.ASSIGNED:
                continue
            values, recommendation = PROFILES[profile]
            submit = status == ReviewStatus.SUBMITTED
            scores = {c.pk: v for c, v in zip(criteria, values, strict=True)}
            if not submit:  # a draft: two criteria scored so far, no opinion yet
                scores = dict(list(scores.items())[:2])
            save_review(
                review,
                scores=scores,
                comment=comment,
                recommendation=recommendation if submit else "",
                submit=submit,
                now=call.closes_at
                + timedelta(days=self.rng.randint(1, 3), hours=self.rng.randint(0, 8)),
            )

    def logistics_pilot(self):
        """A small pilot call, decided: one selected centre (centre B) whose allocation is
        confirmed, and a refurbisher's batch just received to pick it from.

        An allocation needs a selected application, and selections exist only in a call whose
        results are published (before that, the centre would see an undecided outcome). The
        pilot is therefore a published call; nothing of it is delivered, so it adds a row
        with zero devices to the figures per edition and leaves every total unchanged.
        """
        rng, today = self.rng, self.today
        self.load_partners()
        computers = PackType.objects.get(name="Pack informatique reconditionné")
        published = at(today - timedelta(days=35), 14)
        call = Call.objects.create(
            title="Pilote – postes reconditionnés pour les espaces de vie sociale",
            slug=PILOT_SLUG,
            edition=f"{today.year} – pilote",
            status=CallStatus.DECIDED,
            summary="Un pilote de quelques postes pour les petites structures, avant une "
            "édition ouverte à tous les espaces de vie sociale.",
            opens_at=at(today - timedelta(days=120), 9),
            closes_at=at(today - timedelta(days=80), 12),
            review_ends_at=at(today - timedelta(days=50), 18),
            results_published_at=published,
            invoice_on_delivery=True,
        )
        self.call_partners(call)
        criteria = Criterion.objects.bulk_create(
            Criterion(call=call, name=name, weight=weight, max_score=top, position=index)
            for index, (name, weight, top) in enumerate(REVIEW_CRITERIA[:2], start=1)
        )
        offer = CallOffer.objects.create(
            call=call,
            pack_type=computers,
            quantity_available=8,
            solidarity_price=Decimal("90.00"),
            per_centre_cap=4,
        )
        centre_b = self.centre_of("staff-centre-b")
        others = rng.sample(self.member_centres(exclude=[centre_b]), 2)
        outcomes = [
            (centre_b, ApplicationStatus.SELECTED, 4),
            (others[0], ApplicationStatus.WAITLISTED, 3),
            (others[1], ApplicationStatus.REJECTED, 4),
        ]
        applications = [
            Application(
                call=call,
                centre=centre,
                site=self.main_site(centre),
                status=status,
                title="Un coin numérique pour l’espace de vie sociale",
                summary="Quatre postes en accès accompagné, deux après-midi par semaine, et "
                "des ateliers d’aide aux démarches.",
                audience=rng.choice(AUDIENCES),
                expected_beneficiaries=rng.randint(30, 120),
                activities=rng.choice(ACTIVITIES),
                opens_mediation_space=True,
                submitted_at=at(today - timedelta(days=rng.randint(85, 110)), 15),
                decided_at=published,
                waitlist_rank=1 if status == ApplicationStatus.WAITLISTED else None,
            )
            for centre, status, _packs in outcomes
        ]
        Application.objects.bulk_create(applications)
        ApplicationLine.objects.bulk_create(
            ApplicationLine(
                application=application,
                offer=offer,
                requested_quantity=packs,
                granted_quantity=packs
                if status == ApplicationStatus.SELECTED
                else (0 if status == ApplicationStatus.REJECTED else None),
                granted_unit_price=offer.solidarity_price
                if status == ApplicationStatus.SELECTED
                else None,
            )
            for application, (_centre, status, packs) in zip(applications, outcomes, strict=True)
        )
        pool = list(
            User.objects.filter(groups__name=REVIEWERS, email__startswith="evaluateur")
            .exclude(email__in=[e for _r, e, _f, _l in DEMO_ACCOUNTS])
            .order_by("pk")[:2]
        )
        reviews, scores = [], []
        for application, (_centre, status, _packs) in zip(applications, outcomes, strict=True):
            profile = {
                ApplicationStatus.SELECTED: "good",
                ApplicationStatus.WAITLISTED: "medium",
            }.get(status, "weak")
            values, recommendation = PROFILES[profile]
            for reviewer in pool:
                review = Review(
                    application=application,
                    reviewer=reviewer,
                    status=ReviewStatus.SUBMITTED,
                    recommendation=recommendation,
                    comment="Projet lisible et proportionné au pilote.",
                    submitted_at=call.closes_at + timedelta(days=rng.randint(3, 20)),
                )
                reviews.append(review)
                scores += [
                    Score(review=review, criterion=criterion, value=value)
                    for criterion, value in zip(criteria, values, strict=False)
                ]
        set_totals_of_unsaved(scores)
        Review.objects.bulk_create(reviews)
        Score.objects.bulk_create(scores)
        decider = self.account("programme-manager")
        Decision.objects.bulk_create(
            Decision(
                application=application,
                outcome=application.status,
                rank=rank,
                decided_by=decider,
                decided_at=published - timedelta(hours=3),
                published_at=published,
                notified_at=published,
            )
            for rank, application in enumerate(applications, start=1)
        )
        selected = applications[0]
        Agreement.objects.create(
            application=selected,
            number=f"CONV-PILOTE-{selected.pk:05d}",
            status=AgreementStatus.SIGNED,
            issued_at=published + timedelta(hours=1),
            signed_at=published + timedelta(days=6),
            signer_name="Karim Benali",
            signer_role="Animateur multimédia, référent du centre",
        )
        self.batch(computers)
        allocation = propose_allocation(selected)
        confirm_allocation(allocation, now=at(today - timedelta(days=3), 10))

    def batch(self, pack):
        """A refurbisher's batch just received: 24 desktops in stock, each with its erasure."""
        rng = self.rng
        received = self.today - timedelta(days=6)
        batch, _created = Batch.objects.get_or_create(
            reference=PILOT_BATCH,
            defaults={
                "partner": self.bocage,
                "received_on": received,
                "notes": "Lot reçu pour le pilote et l’édition ouverte ; effacement certifié "
                "avant la sortie de l’atelier.",
            },
        )
        if batch.items.exists():
            return batch
        models = list(DeviceModel.objects.filter(kind=DeviceModel.Kind.DESKTOP).order_by("pk"))
        items = []
        for number in range(1, 25):
            digest = hashlib.sha1(f"{PILOT_BATCH}-{number}".encode()).hexdigest()[:6].upper()
            items.append(
                Item(
                    serial_number=f"RBP{number:05d}{digest}",
                    asset_tag=f"SOL-P{number:05d}",
                    device_model=rng.choice(models),
                    pack_type=pack,
                    grade=rng.choice([Grade.A, Grade.A, Grade.B]),
                    provenance=Provenance.REFURBISHED,
                    provenance_partner=self.bocage,
                    batch=batch,
                    received_on=batch.received_on,
                )
            )
        Item.objects.bulk_create(items)
        DataErasure.objects.bulk_create(
            DataErasure(
                item=item,
                method="Effacement certifié 3 passes (DoD 5220.22-M)",
                erased_on=batch.received_on - timedelta(days=2),
                operator="Ateliers du Bocage",
            )
            for item in items
        )
        return batch


def demo_logins():
    return [(role, email) for role, email, _first, _last in DEMO_ACCOUNTS]
