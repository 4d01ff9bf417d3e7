"""The whole operation through the screens only, in a real browser (French).

Starting data come from factories: the people and their roles, two centres with a site and a
referent each, the operator (with its SIRET) and the refurbisher, the pack type and the
device model. After that every step is a click, a form or an automatic consequence of one:

1. a programme manager creates the call in the admin (offer, grid, dates, operator) and
   opens it;
2. two centres' referents apply in the portal (the four-step form) and submit;
3. the manager moves the deadline to a past moment (the call's form), closes the call,
   designates the reviewers; each reviewer scores their application;
4. the committee page applies the proposal and publishes: the allocations are proposed;
5. the chain list issues the agreements, the referent signs in the portal, the chain list
   confirms the allocation;
6. logistics import a batch (CSV), scan, create the shipment, set carrier and tracking
   number, print the sheet (PDF), mark it shipped;
7. the carrier delivers; the centre ticks all but one serial: an incident, settled by
   re-shipping a scanned spare; the centre ticks it and the invoice appears;
8. the centre answers the survey and opens an after-sales ticket; logistics answer and
   decide a replacement, shipped in its own shipment; the centre confirms its receipt;
9. the impact dashboard, recomputed, shows the call's delivered devices and the ticket.

No service call, no ORM write after the factories: the database is only read to assert.
"""

import csv
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from appels.models import (
    Agreement,
    AgreementStatus,
    Application,
    ApplicationStatus,
    Call,
    CallStatus,
    PackType,
    Review,
    ReviewStatus,
    SurveyAnswer,
)
from centres.models import Partner, Site
from centres.roles import LOGISTICS, PROGRAMME_MANAGERS
from equipements.models import (
    AllocatedItem,
    Allocation,
    AllocationStatus,
    InvoiceKind,
    Item,
    ItemStatus,
    ReplacementShipment,
    ReplacementStatus,
    Settlement,
    Shipment,
    ShipmentStatus,
    SupportTicket,
    TicketStatus,
)
from solidaire.models import OutboxEmail, OutboxStatus
from tests.browser.conftest import SCREENSHOT_DIR
from tests.browser.screens import (
    admin_log_in,
    autocomplete,
    check_a11y_in,
    expect_admin_message,
    expect_portal_message,
    new_page,
    pdf_text,
    portal_log_in,
    run_action,
    tick_row,
    with_password,
)
from tests.factories import (
    CentreFactory,
    DeviceModelFactory,
    MembershipFactory,
    PackTypeFactory,
    PartnerFactory,
    ReviewerFactory,
    SiteFactory,
    UserFactory,
    siret_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MANAGER = "sacha.moreau@programme.example.org"
LOGISTICIAN = "morgan.lefebvre@logistique.example.org"
REVIEWERS = ("dominique.leroy@evaluation.example.org", "alex.garnier@evaluation.example.org")
OPERATOR = "Solidatech"
OPERATOR_SIRET = siret_for(424_242)
REFURBISHER = "Ateliers du Bocage"
PACK = "Pack informatique reconditionné"
MANUFACTURER, MODEL = "HP", "Compaq 6000 Pro"

TITLE = "Mon centre social numérique et durable"
EDITION = "2012–2013"
SLUG = "mon-centre-social-numerique-et-durable"  # prepopulated from the title
STOCK, PRICE, CAP = 3, "90.00", 2  # a number input takes a dot
QUALITY = "Qualité du projet"  # weight 2, out of 5
AUDIENCE = "Publics éloignés du numérique"  # weight 1, out of 10

# (centre, site, referent's e-mail, first name, last name, packs asked, project title)
TILLEULS = (
    "Centre social des Tilleuls",
    "Espace de vie sociale des Tilleuls",
    "camille.durand@tilleuls.example.org",
    "Camille",
    "Durand",
    2,
    "Un atelier numérique ouvert à tous au cœur du quartier",
)
GLYCINES = (
    "Maison de quartier des Glycines",
    "Antenne des Glycines",
    "noa.fabre@glycines.example.org",
    "Noa",
    "Fabre",
    1,
    "Des tablettes pour les familles du quartier",
)

BATCH = "LOT-2013-042"
SERIALS = ("CZC2013A001", "CZC2013A002", "CZC2013A003", "CZC2013A004")
FIRST_PICK = SERIALS[:2]  # Tilleuls' two packs
LOST = SERIALS[1]  # left unticked at reception
SPARE = SERIALS[2]  # re-shipped after the incident
REPLACEMENT = SERIALS[3]  # the after-sales replacement of FIRST_PICK[0]
CARRIER, TRACKING = "Colissimo", "6A12345678901"
RESHIP_TRACKING = "6A12345678902"
TICKET_SUBJECT = "Écran noir au démarrage"
CENTRE_MESSAGE = "Le câble d’écran a été changé : toujours rien."
LOGISTICS_MESSAGE = "Nous vous envoyons un autre ordinateur ; renvoyez-nous celui-ci."
REPLACEMENT_TRACKING = "8R4200000001"


def shot(screenshot, page, step, name):
    return screenshot(page, f"whole-{step:02d}-{name}")


# --- starting data (factories) -----------------------------------------------------------


def make_people_and_partners():
    """People with their roles, two centres (one site, one referent each), the operator and
    the refurbisher, the pack type the call will offer and the refurbished device model."""
    manager = with_password(
        UserFactory(email=MANAGER, is_staff=True, first_name="Sacha", last_name="Moreau")
    )
    manager.groups.add(Group.objects.get(name=PROGRAMME_MANAGERS))
    logistician = with_password(
        UserFactory(email=LOGISTICIAN, is_staff=True, first_name="Morgan", last_name="Lefebvre")
    )
    logistician.groups.add(Group.objects.get(name=LOGISTICS))
    for email, (first, last) in zip(
        REVIEWERS, (("Dominique", "Leroy"), ("Alex", "Garnier")), strict=True
    ):
        with_password(ReviewerFactory(email=email, first_name=first, last_name=last))
    for name, site, email, first, last, _packs, _title in (TILLEULS, GLYCINES):
        centre = CentreFactory(name=name)
        SiteFactory(centre=centre, name=site)
        referent = with_password(UserFactory(email=email, first_name=first, last_name=last))
        MembershipFactory(user=referent, centre=centre, is_referent=True, role="directrice")
    PartnerFactory(name=OPERATOR, kind=Partner.Kind.OPERATOR, siret=OPERATOR_SIRET)
    PartnerFactory(name=REFURBISHER, kind=Partner.Kind.REFURBISHER)
    PackTypeFactory(name=PACK, kind=PackType.Kind.DESKTOP, units_per_pack=1)
    DeviceModelFactory(manufacturer=MANUFACTURER, name=MODEL)


def write_batch_csv(path):
    """The refurbisher's spreadsheet, as CSV: four computers with their erasure, one lot."""
    erased_on = (timezone.localdate() - timedelta(days=7)).strftime("%d/%m/%Y")
    header = [
        "numero_de_serie",
        "numero_inventaire",
        "fabricant",
        "modele",
        "type_de_pack",
        "grade",
        "provenance",
        "caracteristiques",
        "effacement_methode",
        "effacement_date",
        "effacement_operateur",
        "lot",
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for n, serial in enumerate(SERIALS, start=1):
            writer.writerow(
                [
                    serial,
                    f"INV-2013-{n:04d}",
                    MANUFACTURER,
                    MODEL,
                    PACK,
                    "A",
                    "reconditionné",
                    "Core 2 Duo E8400, 4 Go, SSD 120 Go",
                    "Effacement certifié NIST 800-88",
                    erased_on,
                    REFURBISHER,
                    BATCH,
                ]
            )
    return path


# --- the screens, step by step -----------------------------------------------------------


def fill_datetime(page, field, moment):
    """The admin's split date and time inputs (French formats), in the site's time zone."""
    local = timezone.localtime(moment)
    page.locator(f"#id_{field}_0").fill(local.strftime("%d/%m/%Y"))
    page.locator(f"#id_{field}_1").fill(local.strftime("%H:%M:%S"))


def add_inline_row(page, prefix):
    """Click the inline's "Ajouter…" link; returns the new row."""
    group = page.locator(f"#{prefix}-group")
    rows = group.locator(f"tr.dynamic-{prefix}")
    count = rows.count()
    group.locator(".add-row a").click()
    expect(rows).to_have_count(count + 1)
    return page.locator(f"#{prefix}-{count}")


def create_and_open_call(page, base, screenshot):
    """Step 1: the call's form (offer, grid, dates, operator), saved, then opened."""
    now = timezone.now()
    page.goto(base + reverse("admin:appels_call_add"))
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_edition").fill(EDITION)
    page.locator("#id_summary").fill("Des ordinateurs reconditionnés à prix solidaire.")
    expect(page.locator("#id_slug")).to_have_value(SLUG)
    fill_datetime(page, "opens_at", now - timedelta(days=1))
    fill_datetime(page, "closes_at", now + timedelta(days=30))
    fill_datetime(page, "review_ends_at", now + timedelta(days=60))
    page.locator("#id_reviewers_per_application").fill("1")

    offer = add_inline_row(page, "offers")
    autocomplete(page, offer, PACK)
    offer.locator("input[name$=quantity_available]").fill(str(STOCK))
    offer.locator("input[name$=solidarity_price]").fill(PRICE)
    offer.locator("input[name$=per_centre_cap]").fill(str(CAP))

    for position, (name, weight, maximum) in enumerate(
        ((QUALITY, "2", 5), (AUDIENCE, "1", 10)), start=1
    ):
        criterion = add_inline_row(page, "criteria")
        criterion.locator("input[name$=position]").fill(str(position))
        criterion.locator("input[name$=-name]").fill(name)
        criterion.locator("input[name$=weight]").fill(weight)
        criterion.locator("input[name$=max_score]").fill(str(maximum))

    partner = add_inline_row(page, "call_partners")
    autocomplete(page, partner, OPERATOR)
    partner.locator("select[name$=role]").select_option(label="opérateur")
    shot(screenshot, page, 1, "call-form")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect_admin_message(page, "a été ajouté avec succès")

    call = Call.objects.get(slug=SLUG)
    assert call.status == CallStatus.DRAFT
    tick_row(page, TITLE)
    run_action(page, "Ouvrir aux candidatures")
    expect_admin_message(page, f"« {call} » est ouvert aux candidatures.")
    shot(screenshot, page, 1, "call-opened")
    call.refresh_from_db()
    assert call.status == CallStatus.OPEN
    offer = call.offers.get()
    assert (offer.pack_type.name, offer.quantity_available, offer.per_centre_cap) == (
        PACK,
        STOCK,
        CAP,
    )
    assert offer.solidarity_price == Decimal("90.00")
    assert list(call.criteria.values_list("name", "weight", "max_score")) == [
        (QUALITY, Decimal("2"), 5),
        (AUDIENCE, Decimal("1"), 10),
    ]
    assert call.call_partners.get().partner.siret == OPERATOR_SIRET
    return call


def apply(page, base, call, centre, screenshot):
    """Step 2: a referent's application, the four steps, then submission."""
    name, site, _email, _first, _last, packs, title = centre
    page.goto(base + reverse("appels:call_detail", args=[call.slug]))
    page.get_by_role("button", name="Commencer ma candidature").click()
    expect(page).to_have_url(re.compile(r"/candidatures/\d+/etape/projet/$"))
    page.get_by_label("Titre du projet").fill(title)
    page.get_by_label("Résumé du projet").fill(f"Le projet numérique de {name}.")
    page.get_by_label("Publics visés").fill("Seniors, demandeurs d’emploi, familles")
    page.get_by_label("Nombre de bénéficiaires attendus").fill("120")
    page.get_by_label("Activités prévues").fill("Ateliers hebdomadaires, accès libre accompagné")
    page.get_by_label("Ouvre un espace de médiation numérique").check()
    page.get_by_label("Partenaires du projet").fill("Médiathèque municipale")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    expect(page).to_have_url(re.compile(r"/etape/demande/$"))
    page.get_by_label(f"{PACK} – nombre de packs").fill(str(packs))
    page.get_by_label("Site de réception du matériel").select_option(
        label=str(Site.objects.get(name=site))
    )
    page.get_by_role("button", name="Enregistrer et continuer").click()

    expect(page).to_have_url(re.compile(r"/etape/pieces/$"))
    page.get_by_role("link", name="Continuer", exact=True).click()

    expect(page).to_have_url(re.compile(r"/etape/recapitulatif/$"))
    expect(page.get_by_role("main")).to_contain_text(f"{packs} × {PACK}")
    page.get_by_role("button", name="Déposer ma candidature").click()
    expect_portal_message(page, "Votre candidature est déposée.")
    shot(screenshot, page, 2, f"submitted-{'tilleuls' if centre is TILLEULS else 'glycines'}")
    application = Application.objects.get(call=call, centre__name=name)
    assert application.status == ApplicationStatus.SUBMITTED
    return application


def close_and_assign(page, base, call, screenshot):
    """Step 3a: the deadline moved to a past moment on the call's form, the call closed to
    applications, the reviewers designated automatically."""
    page.goto(base + reverse("admin:appels_call_change", args=[call.pk]))
    fill_datetime(page, "closes_at", timezone.now() - timedelta(minutes=1))
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect_admin_message(page, "a été modifié avec succès")
    call.refresh_from_db()
    assert call.closes_at < timezone.now() and call.status == CallStatus.OPEN

    tick_row(page, TITLE)
    run_action(page, "Clore les candidatures et lancer l’évaluation")
    expect_admin_message(page, f"« {call} » est en évaluation.")
    tick_row(page, TITLE)
    run_action(page, "Désigner automatiquement les évaluateurs")
    expect_admin_message(page, f"« {call} » : 2 dossier(s) confié(s) à des évaluateurs.")
    shot(screenshot, page, 3, "reviewers-designated")
    call.refresh_from_db()
    assert call.status == CallStatus.REVIEW


def score(page, reviewer_email, base, scores, screenshot):
    """Step 3b: a reviewer's one application to do, scored and rendered."""
    admin_log_in(page, base, reviewer_email)
    page.goto(base + reverse("admin:appels_review_changelist") + "?todo=todo")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link").first.click()
    expect(page.locator("output#review-total")).to_have_text("—")
    for criterion, value in zip((QUALITY, AUDIENCE), scores, strict=True):
        page.get_by_role("spinbutton", name=re.compile("^" + re.escape(criterion))).fill(str(value))
    page.get_by_label("Commentaire").fill("Projet solide, public bien ciblé.")
    page.get_by_label("Recommandation").select_option(label="retenir")
    page.get_by_label("Rendre l’évaluation").check()
    shot(screenshot, page, 3, f"review-{reviewer_email.split('.')[0]}")
    page.get_by_role("button", name="Enregistrer et passer au dossier suivant").click()
    expect_admin_message(page, "Vous avez tout évalué. Merci !")
    page.context.close()


def decide_and_publish(page, base, call, screenshot):
    """Step 4: the committee page applies the proposal and publishes."""
    page.goto(base + reverse("admin:appels_call_changelist"))
    page.locator("#result_list tbody tr").filter(has_text=TITLE).get_by_role(
        "link", name="Classement"
    ).click()
    expect(page).to_have_url(base + reverse("admin:appels_call_ranking", args=[call.pk]))
    expect(page.locator("table.ranking-table tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Appliquer la proposition (par rang, dans le stock)").click()
    expect_admin_message(page, "Proposition appliquée : 2 décision(s) enregistrée(s).")
    for name in (TILLEULS[0], GLYCINES[0]):
        expect(page.get_by_label(f"Décision pour {name}")).to_have_value("selected")
    shot(screenshot, page, 4, "committee")
    publish = page.locator("form.publish-form")
    publish.get_by_label("Je confirme que le comité a décidé de toutes les candidatures.").check()
    publish.get_by_role("button", name="Publier les résultats").click()
    expect_admin_message(page, "Résultats publiés : chaque centre reçoit sa réponse par e-mail.")
    shot(screenshot, page, 4, "published")
    call.refresh_from_db()
    assert call.status == CallStatus.DECIDED


def chain_row(page, centre):
    return page.locator("#result_list tbody tr").filter(has_text=centre[0])


def issue_agreements(page, base, screenshot):
    """Step 5a: the chain list issues both agreements (axe-checked)."""
    page.goto(base + reverse("admin:equipements_selectedapplication_changelist"))
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    for centre in (TILLEULS, GLYCINES):
        expect(chain_row(page, centre)).to_contain_text("convention à émettre")
    check_a11y_in(page, "suivi des candidatures retenues")
    for centre in (TILLEULS, GLYCINES):
        tick_row(page, centre[0])
    run_action(page, "Émettre les conventions")
    expect_admin_message(page, "convention émise, le centre est prévenu par e-mail.")
    for centre in (TILLEULS, GLYCINES):
        expect(chain_row(page, centre)).to_contain_text("convention à signer par le centre")
    shot(screenshot, page, 5, "agreements-issued")


def sign_agreement(page, base, application, screenshot):
    """Step 5b: the referent reads the agreement's PDF and signs it in the portal."""
    page.goto(base + reverse("appels:dashboard"))
    page.get_by_role("row").filter(has_text=TILLEULS[6]).get_by_role(
        "link", name="Convention, livraison, facture, enquête"
    ).click()
    expect(page).to_have_url(base + reverse("equipements:follow_up", args=[application.pk]))
    page.get_by_role("link", name="Lire et signer la convention").click()
    expect(page).to_have_url(base + reverse("appels:agreement", args=[application.pk]))
    expect(page.get_by_role("link", name="Télécharger la convention (PDF)")).to_be_visible()
    page.get_by_label("Nom et prénom du signataire").fill(f"{TILLEULS[3]} {TILLEULS[4]}")
    page.get_by_label("Qualité du signataire").fill("Directrice du centre social")
    page.get_by_label("J’ai lu la convention et je l’accepte au nom du centre.").check()
    shot(screenshot, page, 5, "agreement-signing")
    page.get_by_role("button", name="Signer la convention").click()
    expect_portal_message(page, "Convention signée. Merci !")
    agreement = Agreement.objects.get(application=application)
    assert agreement.status == AgreementStatus.SIGNED
    assert agreement.operator_siret == OPERATOR_SIRET
    return agreement


def confirm_allocation(page, base, screenshot):
    """Step 5c: the chain list confirms the signed centre's allocation."""
    page.goto(base + reverse("admin:equipements_selectedapplication_changelist"))
    expect(chain_row(page, TILLEULS)).to_contain_text("attribution à confirmer")
    tick_row(page, TILLEULS[0])
    run_action(page, "Confirmer les attributions")
    expect_admin_message(page, "attribution confirmée, le centre est prévenu par e-mail.")
    expect(chain_row(page, TILLEULS)).to_contain_text("matériel à préparer")
    expect(chain_row(page, GLYCINES)).to_contain_text("convention à signer par le centre")
    shot(screenshot, page, 5, "allocation-confirmed")


def import_batch(page, base, upload, screenshot):
    """Step 6a: Matériels → Importer, a preview, then the confirmation."""
    page.goto(base + reverse("admin:equipements_item_changelist"))
    page.get_by_role("link", name="Importer").click()
    expect(page).to_have_url(base + reverse("admin:equipements_item_import"))
    page.locator("#id_import_file").set_input_files(str(upload))
    page.locator("#id_format").select_option(label="csv")
    page.locator("#id_partner").select_option(label=REFURBISHER)
    page.locator("input[type=submit]").click()
    preview = page.locator("table.import-preview")
    expect(preview.locator("tbody tr .import-type")).to_have_text(["Nouveau"] * len(SERIALS))
    assert not Item.objects.exists()
    shot(screenshot, page, 6, "import-preview")
    page.get_by_role("button", name="Confirmer l’importation").click()
    expect_admin_message(page, f"Importation terminée: {len(SERIALS)} nouveaux")
    items = Item.objects.select_related("batch__partner", "erasure")
    assert {i.serial_number for i in items} == set(SERIALS)
    assert {(i.batch.reference, i.batch.partner.name) for i in items} == {(BATCH, REFURBISHER)}
    assert all(i.erasure.operator == REFURBISHER for i in items)


def scan(page, base, allocation, serials, screenshot, step, name):
    """Step 6b (and 7): the allocation's Scanner page, a serial at a time, then the shipment
    created from the picked allocations (one per receiving site)."""
    page.goto(base + reverse("admin:equipements_allocation_changelist"))
    page.locator("#result_list tbody tr").filter(has_text=TILLEULS[0]).get_by_role(
        "link", name="Scanner"
    ).click()
    expect(page).to_have_url(
        base + reverse("admin:equipements_allocation_scan", args=[allocation.pk])
    )
    for serial in serials:
        expect(page.locator("#id_serial")).to_be_focused()
        page.keyboard.type(serial)
        page.keyboard.press("Enter")
        expect_admin_message(page, f"{serial} ajouté.")
    expect(page.get_by_role("status")).to_contain_text("Tout est préparé")
    shot(screenshot, page, step, f"{name}-scanned")
    page.get_by_role("link", name="Créer l’expédition depuis les attributions préparées").click()
    tick_row(page, TILLEULS[0])
    run_action(page, "Créer les expéditions (une par site de réception)")
    expect_admin_message(page, "Expéditions créées : EXP-")
    return Shipment.objects.filter(allocations=allocation).get()


def set_carrier_and_ship(page, base, shipment, tracking, screenshot, step, name):
    """Step 6c: carrier and tracking number on the shipment's page (the sheet is rendered
    again), the sheet downloaded from the list and read, then "Marquer expédiée"."""
    page.goto(base + reverse("admin:equipements_shipment_changelist"))
    page.locator("#result_list").get_by_role("link", name=shipment.reference).click()
    expect(page).to_have_url(
        base + reverse("admin:equipements_shipment_change", args=[shipment.pk])
    )
    page.locator("#id_carrier").fill(CARRIER)
    page.locator("#id_tracking_number").fill(tracking)
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect_admin_message(page, "a été modifié")
    row = page.locator("#result_list tbody tr").filter(has_text=shipment.reference)
    with page.expect_download() as download_info:
        row.get_by_role("link", name="PDF").click()
    download = download_info.value
    sheet = Path(download.path()).read_bytes()
    assert sheet.startswith(b"%PDF-"), sheet[:20]
    download.save_as(SCREENSHOT_DIR / f"whole-{name}-sheet.pdf")
    text = pdf_text(sheet)
    for expected in (shipment.reference, TILLEULS[0], CARRIER, tracking):
        assert expected in text, f"{expected!r} missing from the shipment sheet"
    tick_row(page, shipment.reference)
    run_action(page, "Marquer expédiée")
    expect_admin_message(page, f"{shipment.reference} : expédiée.")
    shot(screenshot, page, step, f"{name}-shipped")
    tick_row(page, shipment.reference)
    run_action(page, "Marquer livrée par le transporteur")
    expect_admin_message(page, f"{shipment.reference} : livrée ; le centre confirme la réception")
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED
    assert (shipment.carrier, shipment.tracking_number) == (CARRIER, tracking)
    return text


def receive(page, base, application, shipment, ticked, unticked, check_a11y, screenshot, name):
    """Step 7: the centre's check of the parcel on its follow-up page, serial by serial."""
    page.goto(base + reverse("equipements:follow_up", args=[application.pk]))
    main = page.get_by_role("main")
    expect(main).to_contain_text(shipment.reference)
    expect(main).to_contain_text(shipment.tracking_number)
    reception = page.locator("form").filter(
        has=page.get_by_role("button", name="Confirmer la réception")
    )
    expect(reception.get_by_role("checkbox")).to_have_count(len(ticked) + len(unticked))
    for serial in ticked:
        reception.get_by_role("checkbox", name=re.compile(re.escape(serial))).check()
    for serial in unticked:
        expect(
            reception.get_by_role("checkbox", name=re.compile(re.escape(serial)))
        ).not_to_be_checked()
    check_a11y(page, f"réception ({name})")
    shot(screenshot, page, 7, f"{name}-reception")
    page.get_by_role("button", name="Confirmer la réception").click()


def answer_question(page, question, choice):
    """Tick ``choice`` in the radio group (fieldset) whose legend starts with ``question``."""
    group = page.get_by_role("group", name=re.compile("^" + re.escape(question)))
    group.get_by_role("radio", name=choice, exact=True).check()


def answer_survey(page, base, application, screenshot):
    """Step 8a: the satisfaction survey, from the follow-up page."""
    page.goto(base + reverse("equipements:follow_up", args=[application.pk]))
    page.get_by_role("link", name=re.compile("Répondre à l’enquête")).click()
    expect(page).to_have_url(base + reverse("equipements:survey", args=[application.pk]))
    answer_question(page, "Satisfaction générale", "très satisfait")
    answer_question(page, "Qualité du matériel", "satisfait")
    answer_question(page, "Facilité d’installation", "très satisfait")
    answer_question(page, "Réactivité du SAV", "Nous n’avons pas eu besoin du SAV")
    page.get_by_label("Un espace de médiation numérique a été ouvert").check()
    page.get_by_label("Témoignage").fill("Les seniors du quartier viennent chaque mardi.")
    shot(screenshot, page, 8, "survey")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    expect_portal_message(page, "Merci pour vos réponses !")
    answer = SurveyAnswer.objects.get(application=application)
    assert (answer.satisfaction, answer.opened_mediation_space) == (4, True)


def open_ticket(page, base, application, serial, check_a11y, screenshot):
    """Step 8b: "Signaler une panne" on the follow-up page (the device received in the first
    parcel), then a message in the ticket's thread."""
    page.goto(base + reverse("equipements:follow_up", args=[application.pk]))
    page.get_by_role("link", name="Signaler une panne", exact=True).click()
    expect(page).to_have_url(base + reverse("equipements:ticket_create"))
    choice = page.locator("#id_item option").filter(has_text=serial)
    expect(choice).to_have_count(1)
    page.get_by_label("Matériel concerné").select_option(value=choice.get_attribute("value"))
    page.get_by_label("Objet").fill(TICKET_SUBJECT)
    page.get_by_label("Description du problème").fill("L’écran reste noir au démarrage.")
    page.get_by_role("button", name="Envoyer la demande").click()
    expect_portal_message(page, "Votre demande est enregistrée : le SAV vous répond.")
    expect(page.get_by_role("heading", level=1)).to_have_text(TICKET_SUBJECT)
    page.get_by_label("Votre message").fill(CENTRE_MESSAGE)
    page.get_by_role("button", name="Envoyer le message").click()
    expect_portal_message(page, "Message envoyé au service après-vente.")
    expect(page.get_by_text(CENTRE_MESSAGE)).to_be_visible()
    check_a11y(page, "ticket SAV (fil)")
    shot(screenshot, page, 8, "ticket-opened")
    return SupportTicket.objects.get(item__serial_number=serial)


def answer_and_replace(page, base, ticket, screenshot):
    """Step 8c: logistics answer on the ticket's admin page, pick the replacement, and ship
    its own shipment from the replacement shipments' list."""
    page.goto(base + reverse("admin:equipements_supportticket_changelist"))
    page.locator("#result_list").get_by_role("link", name=TICKET_SUBJECT).click()
    expect(page).to_have_url(
        base + reverse("admin:equipements_supportticket_change", args=[ticket.pk])
    )
    expect(page.locator("#content-main")).to_contain_text(CENTRE_MESSAGE)
    page.locator("#id_body").fill(LOGISTICS_MESSAGE)
    page.get_by_role("button", name="Envoyer au centre").click()
    expect_admin_message(page, "Message envoyé au centre.")
    expect(page.locator("#content-main")).to_contain_text(LOGISTICS_MESSAGE)
    choice = page.locator("#id_replacement option").filter(has_text=REPLACEMENT)
    expect(choice).to_have_count(1)
    page.locator("#id_replacement").select_option(value=choice.get_attribute("value"))
    shot(screenshot, page, 8, "ticket-admin")
    page.get_by_role("button", name="Préparer le remplacement").click()
    expect_admin_message(page, f"retour de {ticket.item.serial_number} attendu.")
    shipment = ReplacementShipment.objects.get(ticket=ticket)
    expect(page).to_have_url(
        base + reverse("admin:equipements_replacementshipment_change", args=[shipment.pk])
    )
    page.locator("#id_carrier").fill(CARRIER)
    page.locator("#id_tracking_number").fill(REPLACEMENT_TRACKING)
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect_admin_message(page, "a été modifié")
    expect(page).to_have_url(
        re.compile(re.escape(base + reverse("admin:equipements_replacementshipment_changelist")))
    )
    tick_row(page, shipment.reference)
    run_action(page, "Marquer expédié")
    expect_admin_message(page, f"{shipment.reference} : expédié.")
    shot(screenshot, page, 8, "replacement-shipped")
    return shipment


def confirm_replacement(page, base, ticket, check_a11y, screenshot):
    """Step 8d: the centre confirms the replacement's receipt on the ticket's page."""
    page.goto(base + reverse("equipements:ticket_detail", args=[ticket.pk]))
    expect(page.get_by_text(LOGISTICS_MESSAGE)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(REPLACEMENT_TRACKING)
    page.get_by_role("button", name=f"J’ai reçu l’appareil {REPLACEMENT}").click()
    expect_portal_message(page, "Réception du remplacement confirmée. Merci !")
    check_a11y(page, "ticket SAV (résolu)")
    shot(screenshot, page, 8, "ticket-resolved")


def impact(page, base, call, screenshot):
    """Step 9: the dashboard (a snapshot), recomputed, and the call's own figures."""
    page.goto(base + reverse("impact:dashboard"))
    figure = page.locator("#impact [data-figure=computers]").first
    expect(figure).to_have_text("0")  # the snapshot taken before anything was delivered
    page.get_by_role("link", name="Recalculer maintenant").click()
    expect(page).to_have_url(base + reverse("impact:dashboard"))
    # What the centre holds on the call's allocation: the faulty unit, replaced, left it.
    delivered = AllocatedItem.objects.filter(
        line__allocation__application__call=call,
        released_at__isnull=True,
        item__status=ItemStatus.DELIVERED,
    ).count()
    expect(figure).to_have_text(str(delivered))
    expect(page.locator("#impact [data-figure=tickets]").first).to_have_text("1")
    shot(screenshot, page, 9, "impact")
    page.get_by_role("navigation", name="Rapports par appel").get_by_role(
        "link", name=f"{TITLE} ({EDITION})"
    ).click()
    expect(page).to_have_url(base + reverse("impact:call", args=[call.pk]))
    expect(page.locator("[data-figure=computers]").first).to_have_text(str(delivered))
    expect(page.locator("[data-figure=tickets]").first).to_have_text("1")
    expect(page.locator("[data-figure=centres_equipped]").first).to_have_text("1")
    shot(screenshot, page, 9, "impact-call")
    return delivered


# --- the journey -------------------------------------------------------------------------


def test_a_call_runs_from_creation_to_after_sales_through_the_screens(
    live_server, new_context, check_a11y, screenshot, browser_settings, mailoutbox, tmp_path
):
    # Documents are rendered in process when asked (agreement, sheets, invoice).
    browser_settings.DOCUMENTS_RENDER_EAGERLY = True
    # The impact dashboard is served from a snapshot (recomputed by its link).
    browser_settings.IMPACT_FIGURES_CACHE_SECONDS = 3600
    make_people_and_partners()
    base = live_server.url

    # 1. The programme manager creates and opens the call.
    manager = new_page(new_context)
    admin_log_in(manager, base, MANAGER)
    call = create_and_open_call(manager, base, screenshot)
    # The dashboard's snapshot, taken now (nothing delivered yet).
    manager.goto(base + reverse("impact:dashboard"))
    manager.get_by_role("link", name="Recalculer maintenant").click()
    expect(manager.locator("#impact [data-figure=computers]").first).to_have_text("0")

    # 2. Both centres apply (Tilleuls' referent keeps the browser open for the follow-up).
    centre = new_page(new_context)
    portal_log_in(centre, base, TILLEULS[2])
    tilleuls = apply(centre, base, call, TILLEULS, screenshot)
    other = new_page(new_context)
    portal_log_in(other, base, GLYCINES[2])
    apply(other, base, call, GLYCINES, screenshot)
    other.context.close()

    # 3. Closed, reviewers designated; each scores the application given to them.
    close_and_assign(manager, base, call, screenshot)
    assert Review.objects.filter(application__call=call).count() == 2
    for email, scores in zip(REVIEWERS, ((5, 8), (4, 6)), strict=True):
        score(new_page(new_context), email, base, scores, screenshot)
    assert set(Review.objects.values_list("status", flat=True)) == {ReviewStatus.SUBMITTED}

    # 4. The committee decides and publishes; each selected application gets its allocation.
    decide_and_publish(manager, base, call, screenshot)
    allocation = Allocation.objects.get(application=tilleuls)
    assert allocation.status == AllocationStatus.PROPOSED
    assert Allocation.objects.filter(application__call=call).count() == 2

    # 5. Agreements issued on the chain list, signed by the referent, allocation confirmed.
    issue_agreements(manager, base, screenshot)
    agreement = sign_agreement(centre, base, tilleuls, screenshot)
    confirm_allocation(manager, base, screenshot)
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.CONFIRMED

    # 6. Logistics: the batch, the scan, the shipment, its sheet; shipped, then delivered.
    logistics = new_page(new_context)
    admin_log_in(logistics, base, LOGISTICIAN)
    import_batch(logistics, base, write_batch_csv(tmp_path / "lot.csv"), screenshot)
    first = scan(logistics, base, allocation, FIRST_PICK, screenshot, 6, "first")
    sheet = set_carrier_and_ship(logistics, base, first, TRACKING, screenshot, 6, "first")
    assert all(serial in sheet for serial in FIRST_PICK)

    # 7. The centre ticks all but one serial: an incident, settled by re-shipping a spare.
    receive(centre, base, tilleuls, first, [FIRST_PICK[0]], [LOST], check_a11y, screenshot, "first")
    expect_portal_message(centre, "Le problème est signalé à la logistique")
    expect(centre.get_by_role("main")).to_contain_text(f"Non reçus : {LOST}.")
    first.refresh_from_db()
    assert first.status == ShipmentStatus.INCIDENT and first.missing_serials == [LOST]

    logistics.goto(base + reverse("admin:equipements_shipment_changelist"))
    tick_row(logistics, first.reference)
    run_action(logistics, "Incident : réexpédier les manquants")
    expect_admin_message(logistics, f"{first.reference} : les attributions concernées repassent")
    shot(screenshot, logistics, 7, "incident-settled")
    second = scan(logistics, base, allocation, [SPARE], screenshot, 7, "reship")
    assert second.pk != first.pk and second.reshipment_of_id == first.pk
    set_carrier_and_ship(logistics, base, second, RESHIP_TRACKING, screenshot, 7, "reship")

    receive(centre, base, tilleuls, second, [SPARE], [], check_a11y, screenshot, "reship")
    expect_portal_message(centre, "Réception confirmée. Merci !")
    invoice = allocation.invoices.get(kind=InvoiceKind.INVOICE)
    facture = centre.get_by_role("link", name=re.compile(re.escape(invoice.number)))
    expect(facture.first).to_be_visible()
    with centre.expect_download() as download_info:
        centre.get_by_role("link", name=f"PDF {invoice.number}").click()
    invoice_pdf = Path(download_info.value.path()).read_bytes()
    assert invoice_pdf.startswith(b"%PDF-")
    download_info.value.save_as(SCREENSHOT_DIR / "whole-invoice.pdf")
    assert invoice.number in pdf_text(invoice_pdf)
    shot(screenshot, centre, 7, "invoice")
    first.refresh_from_db()
    allocation.refresh_from_db()
    assert first.settlement == Settlement.RESHIPPED
    assert allocation.status == AllocationStatus.DELIVERED
    # The lost computer is not invoiced: two packs delivered, two invoiced.
    assert sum(line.quantity for line in invoice.lines.all()) == len(FIRST_PICK)

    # 8. Survey, after-sales ticket and its thread, a replacement in its own shipment.
    answer_survey(centre, base, tilleuls, screenshot)
    ticket = open_ticket(centre, base, tilleuls, FIRST_PICK[0], check_a11y, screenshot)
    replacement = answer_and_replace(logistics, base, ticket, screenshot)
    confirm_replacement(centre, base, ticket, check_a11y, screenshot)
    ticket.refresh_from_db()
    replacement.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED
    assert ticket.replacement_item.serial_number == REPLACEMENT
    assert replacement.status == ReplacementStatus.DELIVERED
    assert replacement.tracking_number == REPLACEMENT_TRACKING

    # 9. The impact dashboard, recomputed, counts this call's devices and its ticket.
    delivered = impact(manager, base, call, screenshot)
    assert delivered == len(FIRST_PICK)  # the spare and the replacement
    statuses = dict(Item.objects.values_list("serial_number", "status"))
    assert statuses[LOST] == ItemStatus.LOST
    assert statuses[SPARE] == statuses[REPLACEMENT] == ItemStatus.DELIVERED
    # The faulty unit is still at the centre, its return expected.
    assert ticket.returns.get().item.serial_number == FIRST_PICK[0]

    # Everyone was told what they wait for, once, through the outbox (sent).
    referent = TILLEULS[2]
    told = {
        f"agreement-issued:{agreement.pk}": referent,
        f"allocation-confirmed:{allocation.pk}": referent,
        f"incident-acknowledged:{first.pk}": referent,
        f"survey-invitation:{tilleuls.pk}": referent,
        # After-sales e-mails go to each side concerned, with that side's link.
        f"replacement-status:{replacement.pk}:shipped:centre": referent,
        f"replacement-status:{replacement.pk}:shipped:logistics": LOGISTICIAN,
    }
    for message in ticket.messages.all():
        side, reader = ("logistics", LOGISTICIAN) if message.from_centre else ("centre", referent)
        told[f"ticket-message:{message.pk}:{side}"] = reader
    assert len(told) == 8
    emails = {e.key: e for e in OutboxEmail.objects.filter(key__in=told)}
    assert set(emails) == set(told)
    for key, recipient in told.items():
        assert emails[key].status == OutboxStatus.SENT, key
        assert recipient in emails[key].recipients, key
        assert any(m.subject == emails[key].subject and recipient in m.to for m in mailoutbox)
    assert OutboxEmail.objects.filter(key__startswith="agreement-issued:").count() == 2
    # The shipment notices (sent directly, once per shipment) carry the tracking numbers.
    for shipment, tracking in ((first, TRACKING), (second, RESHIP_TRACKING)):
        subject = f"Votre matériel est en route – expédition {shipment.reference}"
        notices = [m for m in mailoutbox if referent in m.to and m.subject == subject]
        assert len(notices) == 1, [(m.to, m.subject) for m in mailoutbox]
        assert tracking in notices[0].body
