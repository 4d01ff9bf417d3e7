"""A new centre staff member's whole journey in a real browser (French), with axe checks.

Log in, complete the centre's profile, apply to an open call over two browser sessions (the
draft survives closing the browser), submit. Then the chain after the deadline, every step a
screen: the programme manager closes the call, decides on the committee page and publishes
(which proposes the allocation), issues the agreement from the chain list; the centre signs
it (the PDF's SHA-256 on the page); the manager confirms the allocation; logistics prepare
the oldest items in stock, create the shipment for the receiving site, set its carrier and
tracking number, ship it and record the carrier's delivery; the centre checks the parcel
serial by serial (nothing pre-ticked), gets its invoice, answers the survey and opens an
after-sales ticket. Only the starting data (people, the call, the stock) comes from
factories: after the first page, nothing but the browser changes the database.
"""

import re
from datetime import timedelta
from decimal import Decimal

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
    CallStatus,
    PackType,
    SurveyAnswer,
)
from centres.models import Partner
from centres.roles import LOGISTICS, PROGRAMME_MANAGERS
from equipements.models import (
    Allocation,
    AllocationStatus,
    DeviceModel,
    Grade,
    InvoiceKind,
    Item,
    ItemStatus,
    Provenance,
    Shipment,
    ShipmentStatus,
    SupportTicket,
)
from solidaire.documents import DocumentKind
from solidaire.models import Document, DocumentStatus
from tests.browser.test_logistics_journey import run_action, tick_row
from tests.browser.test_review_journey import admin_log_in, check_a11y_in, expect_admin_message
from tests.factories import (
    PASSWORD,
    CallFactory,
    CallOfferFactory,
    CentreFactory,
    DataErasureFactory,
    DeviceModelFactory,
    ItemFactory,
    MembershipFactory,
    PackTypeFactory,
    PartnerFactory,
    SiteFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "camille.durand@tilleuls.example.org"
CENTRE = "Centre social des Tilleuls"
MANAGER_EMAIL = "sacha.moreau@programme.example.org"
LOGISTICS_EMAIL = "morgan.lefebvre@logistique.example.org"
NEW_PHONE = "02 99 12 34 56"
TITLE = "Un atelier numérique ouvert à tous au cœur du quartier"
SUMMARY = "Des ateliers d’initiation pour les habitants éloignés du numérique."
COMPUTERS = "Pack informatique reconditionné"
TABLETS = "Flotte de tablettes"
TABLETS_PER_FLEET = 4
# In stock, oldest first: the two computers the centre asks for go, the newer one stays.
COMPUTER_SERIALS = ("PC-0001", "PC-0002")
SPARE_COMPUTER = "PC-0003"
TABLET_SERIALS = tuple(f"TAB-{n:04d}" for n in range(1, TABLETS_PER_FLEET + 1))
SHIPPED = tuple(sorted(COMPUTER_SERIALS + TABLET_SERIALS))
CARRIER = "Colissimo"
TRACKING = "6A01234567890"
TICKET_SUBJECT = "L’écran reste noir"


# --- data --------------------------------------------------------------------------------


def with_password(user):
    user.set_password(PASSWORD)  # with the test's fast hasher (browser_settings)
    user.save(update_fields=["password"])
    return user


def make_call_and_centre():
    """An open call (computer packs, cap 10; a tablet fleet, cap 1; two criteria; the
    allocation confirmed once the agreement is signed, invoiced at reception) and a member
    centre with one site and its referent, who has never logged in."""
    call = CallFactory(
        title="Mon centre social numérique et durable",
        edition="2012–2013",
        confirm_after_signature=True,
        invoice_on_delivery=True,
        offers=0,
        criteria=0,
    )
    computers = PackTypeFactory(
        name=COMPUTERS,
        kind=PackType.Kind.DESKTOP,
        composition="Unité centrale, écran 19 pouces, clavier, souris",
    )
    tablets = PackTypeFactory(
        name=TABLETS,
        kind=PackType.Kind.TABLET,
        units_per_pack=TABLETS_PER_FLEET,
        composition=f"{TABLETS_PER_FLEET} tablettes 10 pouces, valise de recharge",
        market_value=Decimal("1200.00"),
    )
    CallOfferFactory(
        call=call,
        pack_type=computers,
        quantity_available=40,
        per_centre_cap=10,
        solidarity_price=Decimal("90.00"),
    )
    CallOfferFactory(
        call=call,
        pack_type=tablets,
        quantity_available=5,
        per_centre_cap=1,
        solidarity_price=Decimal("350.00"),
    )
    for position, name in enumerate(["Qualité du projet", "Publics éloignés du numérique"]):
        call.criteria.create(
            name=name, description="Noté de 0 à 5", weight=1, max_score=5, position=position
        )
    centre = CentreFactory(name=CENTRE, phone="")
    site = SiteFactory(centre=centre, name="Espace de vie sociale des Tilleuls")
    user = with_password(UserFactory(email=EMAIL, first_name="Camille", last_name="Durand"))
    MembershipFactory(user=user, centre=centre, is_referent=True, role="directrice")
    return call, centre, site, user


def make_stock(call):
    """The warehouse's stock: three refurbished computers (erased; the third one received
    last) and a fleet's worth of new tablets."""
    offers = {offer.pack_type.kind: offer for offer in call.offers.select_related("pack_type")}
    refurbisher = PartnerFactory(name="Ateliers du Bocage", kind=Partner.Kind.REFURBISHER)
    funder = PartnerFactory(name="Fondation du numérique solidaire", kind=Partner.Kind.FUNDER)
    desktop = DeviceModelFactory(manufacturer="Dell", name="OptiPlex 780")
    tablet = DeviceModelFactory(
        manufacturer="Huawei", name="MediaPad 10", kind=DeviceModel.Kind.TABLET
    )
    received = timezone.localdate() - timedelta(days=60)
    for n, serial in enumerate((*COMPUTER_SERIALS, SPARE_COMPUTER)):
        item = ItemFactory(
            serial_number=serial,
            device_model=desktop,
            pack_type=offers[PackType.Kind.DESKTOP].pack_type,
            provenance=Provenance.REFURBISHED,
            provenance_partner=refurbisher,
            received_on=received + timedelta(days=10 * n),
        )
        DataErasureFactory(item=item, operator=refurbisher.name)
    for serial in TABLET_SERIALS:
        ItemFactory(
            serial_number=serial,
            device_model=tablet,
            pack_type=offers[PackType.Kind.TABLET].pack_type,
            grade=Grade.NEW,
            provenance=Provenance.PURCHASED,
            provenance_partner=funder,
            received_on=received,
        )


def make_staff():
    """A programme manager and a logistics staff member, both in the admin."""
    manager = with_password(
        UserFactory(email=MANAGER_EMAIL, is_staff=True, first_name="Sacha", last_name="Moreau")
    )
    manager.groups.add(Group.objects.get(name=PROGRAMME_MANAGERS))
    logistics = with_password(
        UserFactory(email=LOGISTICS_EMAIL, is_staff=True, first_name="Morgan", last_name="Lefebvre")
    )
    logistics.groups.add(Group.objects.get(name=LOGISTICS))
    return manager, logistics


def write_pdf(path):
    """A small, valid one-page PDF (correct cross-reference table)."""
    text = b"BT /F1 18 Tf 72 770 Td (Budget previsionnel 2012-2013) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
    return path


# --- browser helpers ---------------------------------------------------------------------


def log_in(page, base_url):
    page.goto(f"{base_url}/compte/connexion/")
    page.locator("#id_username").fill(EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{base_url}/mon-espace/")


def main_nav(page):
    return page.get_by_role("navigation", name="Navigation principale")


def expect_message(page, text):
    expect(page.get_by_role("status")).to_contain_text(text)


def answer_question(page, question, choice):
    """Tick ``choice`` in the radio group (fieldset) whose legend starts with ``question``."""
    group = page.get_by_role("group", name=re.compile("^" + re.escape(question)))
    radio = group.get_by_role("radio", name=choice, exact=True)
    radio.check()
    expect(radio).to_be_checked()


def admin_page(new_context, base, email):
    """A browser of its own for a staff member, logged into the admin."""
    page = new_context().new_page()
    page.set_default_timeout(15_000)
    admin_log_in(page, base, email)
    return page


def open_chain_row(page, base):
    """The programme managers' chain list; returns our centre's row."""
    page.goto(base + reverse("admin:equipements_selectedapplication_changelist"))
    return page.locator("#result_list tbody tr").filter(has_text=CENTRE)


def admin_datetime(page, field, moment):
    """Fill an admin split date/time field (French formats) with ``moment``, local time."""
    local = timezone.localtime(moment)
    page.locator(f"#id_{field}_0").fill(local.strftime("%d/%m/%Y"))
    page.locator(f"#id_{field}_1").fill(local.strftime("%H:%M:%S"))


# --- the journey -------------------------------------------------------------------------


def test_new_staff_member_applies_and_follows_up_in_french(
    live_server, page, new_context, check_a11y, screenshot, browser_settings, mailoutbox, tmp_path
):
    # Documents (the agreement, the shipment sheet, the invoice) are rendered when asked, as
    # a worker would right away: the agreement is signed on its ready PDF.
    browser_settings.DOCUMENTS_RENDER_EAGERLY = True
    call, centre, site, user = make_call_and_centre()
    make_stock(call)
    manager, _logistics = make_staff()
    base = live_server.url
    pdf = write_pdf(tmp_path / "budget-previsionnel.pdf")
    page.set_default_timeout(15_000)

    # Log in: the staff member lands on the centre's space.
    page.goto(f"{base}/compte/connexion/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    check_a11y(page, "connexion")
    page.locator("#id_username").fill(EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    screenshot(page, "01-login")
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{base}/mon-espace/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Espace de {centre.name}")
    expect(page.get_by_role("link", name=re.compile(re.escape(call.title)))).to_be_visible()
    check_a11y(page, "tableau de bord")
    screenshot(page, "02-dashboard")

    # "Mon centre": complete the profile (the phone number).
    main_nav(page).get_by_role("link", name="Mon centre").click()
    expect(page).to_have_url(f"{base}/mon-centre/")
    expect(page.get_by_role("heading", level=1)).to_have_text(centre.name)
    check_a11y(page, "mon centre")
    page.get_by_role("link", name="Modifier la fiche").click()
    expect(page).to_have_url(f"{base}/mon-centre/modifier/")
    check_a11y(page, "fiche du centre (formulaire)")
    page.get_by_label("Téléphone").fill(NEW_PHONE)
    screenshot(page, "03-profile-form")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page).to_have_url(f"{base}/mon-centre/")
    expect_message(page, "La fiche du centre est enregistrée.")
    expect(page.get_by_role("definition").filter(has_text=NEW_PHONE)).to_be_visible()
    screenshot(page, "04-my-centre")
    centre.refresh_from_db()
    assert centre.phone == NEW_PHONE

    # The call, from "Appels ouverts".
    main_nav(page).get_by_role("link", name="Appels ouverts").click()
    expect(page).to_have_url(f"{base}/appels/")
    expect(page.get_by_text("Votre centre peut candidater.")).to_be_visible()
    check_a11y(page, "appels ouverts")
    screenshot(page, "05-call-list")
    page.get_by_role("link", name=call.title).click()
    expect(page).to_have_url(f"{base}/appels/{call.slug}/")
    expect(page.get_by_role("rowheader", name=re.compile(COMPUTERS))).to_be_visible()
    expect(page.get_by_role("rowheader", name=re.compile(TABLETS))).to_be_visible()
    check_a11y(page, "détail de l’appel")
    screenshot(page, "06-call-detail")
    page.get_by_role("button", name="Commencer ma candidature").click()

    # Step 1, partly filled, saved as a draft.
    expect(page).to_have_url(re.compile(r"/candidatures/\d+/etape/projet/$"))
    expect_message(page, "Votre brouillon est créé")
    check_a11y(page, "étape 1 – le projet")
    page.get_by_label("Titre du projet").fill(TITLE)
    page.get_by_label("Résumé du projet").fill(SUMMARY)
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect_message(page, "Brouillon enregistré.")
    expect(page).to_have_url(re.compile(r"/etape/projet/$"))
    screenshot(page, "07-step1-draft-saved")

    # The browser is closed; a new session, a new login: the draft is still there.
    page.context.close()
    page = new_context().new_page()
    page.set_default_timeout(10_000)
    log_in(page, base)
    screenshot(page, "08-dashboard-draft")
    page.get_by_role("link", name="Compléter et déposer avant la date limite").click()
    expect(page).to_have_url(re.compile(r"/etape/projet/$"))
    expect(page.get_by_label("Titre du projet")).to_have_value(TITLE)
    expect(page.get_by_label("Résumé du projet")).to_have_value(SUMMARY)

    # Step 1, finished.
    page.get_by_label("Publics visés").fill("Seniors, demandeurs d’emploi, familles")
    page.get_by_label("Nombre de bénéficiaires attendus").fill("120")
    page.get_by_label("Activités prévues").fill(
        "Ateliers hebdomadaires, accès libre accompagné, aide aux démarches en ligne"
    )
    page.get_by_label("Ouvre un espace de médiation numérique").check()
    page.get_by_label("Partenaires du projet").fill("Médiathèque municipale, collège Anne-Frank")
    screenshot(page, "09-step1-complete")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    # Step 2: quantities and the receiving site.
    expect(page).to_have_url(re.compile(r"/etape/demande/$"))
    check_a11y(page, "étape 2 – le matériel demandé")
    page.get_by_label(f"{COMPUTERS} – nombre de packs").fill("2")
    page.get_by_label(f"{TABLETS} – nombre de packs").fill("1")
    page.get_by_label("Site de réception du matériel").select_option(label=str(site))
    screenshot(page, "10-step2-request")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    # Step 3: a real PDF.
    expect(page).to_have_url(re.compile(r"/etape/pieces/$"))
    expect(page.get_by_text("Aucune pièce jointe pour l’instant (facultatif).")).to_be_visible()
    page.get_by_label("Fichier").set_input_files(str(pdf))
    page.get_by_label("Description").fill("Budget prévisionnel")
    page.get_by_role("button", name="Joindre ce fichier").click()
    expect_message(page, "Brouillon enregistré.")
    expect(page.get_by_role("link", name="budget-previsionnel.pdf")).to_be_visible()
    check_a11y(page, "étape 3 – pièces jointes")
    screenshot(page, "11-step3-attachment")
    page.get_by_role("link", name="Continuer", exact=True).click()

    # Step 4: check and submit.
    expect(page).to_have_url(re.compile(r"/etape/recapitulatif/$"))
    main = page.get_by_role("main")
    expect(main).to_contain_text(TITLE)
    expect(main).to_contain_text(f"2 × {COMPUTERS}")
    expect(main).to_contain_text(f"1 × {TABLETS}")
    expect(main).to_contain_text(site.name)
    check_a11y(page, "étape 4 – vérifier et déposer")
    screenshot(page, "12-step4-summary")
    page.get_by_role("button", name="Déposer ma candidature").click()
    expect(page).to_have_url(re.compile(r"/candidatures/\d+/$"))
    expect_message(page, "Votre candidature est déposée.")
    check_a11y(page, "candidature déposée")

    main_nav(page).get_by_role("link", name="Mon espace").click()
    row = page.get_by_role("row").filter(has_text=TITLE)
    expect(row).to_contain_text("Déposée")
    expect(row).to_contain_text("En attente de la décision du comité")
    check_a11y(page, "tableau de bord (déposée)")
    screenshot(page, "13-dashboard-submitted")

    application = Application.objects.get(call=call, centre=centre)
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.title == TITLE and application.site == site
    assert {
        line.offer.pack_type.name: line.requested_quantity for line in application.lines.all()
    } == {
        COMPUTERS: 2,
        TABLETS: 1,
    }
    attachment = application.attachments.get()
    assert attachment.content_type == "application/pdf"
    assert attachment.original_name == "budget-previsionnel.pdf"

    # --- the programme manager: close, decide, publish, issue the agreement ----------------
    admin = admin_page(new_context, base, MANAGER_EMAIL)
    admin.goto(base + reverse("admin:appels_call_changelist"))
    admin.locator("#result_list").get_by_role("link", name=call.title).click()
    expect(admin).to_have_url(
        re.compile(re.escape(reverse("admin:appels_call_change", args=[call.pk])))
    )
    # The deadline is brought forward to a minute ago (the call's own form): the closing
    # action refuses to close a call before its deadline.
    admin_datetime(admin, "closes_at", timezone.now() - timedelta(minutes=1))
    admin.get_by_role("button", name="Enregistrer", exact=True).click()
    expect_admin_message(admin, "a été modifié")
    tick_row(admin, call.title)
    run_action(admin, "Clore les candidatures et lancer l’évaluation")
    expect_admin_message(admin, "est en évaluation.")
    row = admin.locator("#result_list tbody tr").filter(has_text=call.title)
    expect(row).to_contain_text("en évaluation")
    row.get_by_role("link", name="Classement").click()
    expect(admin).to_have_url(base + reverse("admin:appels_call_ranking", args=[call.pk]))

    # The committee selects the application, granting what it asked (within the caps).
    ranked = admin.locator("table.ranking-table tbody tr")
    expect(ranked).to_have_count(1)
    expect(ranked).to_contain_text(centre.name)
    offers = {offer.pack_type.name: offer for offer in call.offers.select_related("pack_type")}
    for name, granted in ((COMPUTERS, "2"), (TABLETS, "1")):
        expect(admin.locator(f"#a{application.pk}-line{offers[name].pk}")).to_have_value(granted)
    admin.get_by_label(f"Décision pour {centre.name}").select_option(label="retenue")
    check_a11y_in(admin, "classement (décision à enregistrer)")
    screenshot(admin, "centre-admin-01-committee")
    admin.get_by_role("button", name="Enregistrer les décisions").click()
    expect_admin_message(admin, "1 décision(s) enregistrée(s).")
    expect(admin.get_by_label(f"Décision pour {centre.name}")).to_have_value("selected")
    publish = admin.locator("form.publish-form")
    publish.get_by_label("Je confirme que le comité a décidé de toutes les candidatures.").check()
    publish.get_by_role("button", name="Publier les résultats").click()
    expect_admin_message(admin, "Résultats publiés : chaque centre reçoit sa réponse par e-mail.")
    screenshot(admin, "centre-admin-02-published")

    # Publication proposed the allocation: the chain list shows it, the agreement is next.
    row = open_chain_row(admin, base)
    expect(row).to_contain_text("proposée")
    expect(row).to_contain_text("convention à émettre")
    check_a11y_in(admin, "suivi des candidatures retenues")
    tick_row(admin, CENTRE)
    run_action(admin, "Émettre les conventions")
    expect_admin_message(admin, "convention émise, le centre est prévenu par e-mail.")
    expect(row).to_contain_text("convention à signer par le centre")
    screenshot(admin, "centre-admin-03-agreement-issued")
    allocation = Allocation.objects.get(application=application)
    assert allocation.status == AllocationStatus.PROPOSED
    assert {line.pack_type.name: line.quantity for line in allocation.lines.all()} == {
        COMPUTERS: 2,
        TABLETS: 1,
    }

    # --- the centre: the outcome, the agreement ----------------------------------------------
    page.reload()
    row = page.get_by_role("row").filter(has_text=TITLE)
    expect(row).to_contain_text("Retenue")
    row.get_by_role("link", name="Convention, livraison, facture, enquête").click()
    expect(page).to_have_url(re.compile(r"/candidatures/\d+/suivi/$"))
    main = page.get_by_role("main")
    expect(main).to_contain_text("Le matériel est en cours de préparation.")
    check_a11y(page, "suivi (convention à signer)")
    screenshot(page, "14-follow-up-agreement-issued")

    page.get_by_role("link", name="Lire et signer la convention").click()
    expect(page).to_have_url(re.compile(r"/candidatures/\d+/convention/$"))
    agreement = Agreement.objects.get(application=application)
    pdf_document = Document.objects.get(kind=DocumentKind.AGREEMENT, object_id=agreement.pk)
    assert pdf_document.status == DocumentStatus.READY and len(pdf_document.sha256) == 64
    # The page names the PDF being signed by its SHA-256.
    expect(main).to_contain_text(f"d’empreinte SHA-256 {pdf_document.sha256}")
    expect(main).to_contain_text("Camille Durand (référent)")
    check_a11y(page, "convention")
    page.get_by_label("Nom et prénom du signataire").fill("Camille Durand")
    page.get_by_label("Qualité du signataire").fill("Directrice du centre social")
    page.get_by_label("J’ai lu la convention et je l’accepte au nom du centre.").check()
    screenshot(page, "15-agreement")
    page.get_by_role("button", name="Signer la convention").click()
    expect_message(page, "Convention signée. Merci !")
    expect(main).to_contain_text("signée par Camille Durand")
    expect(main).to_contain_text(f"Empreinte SHA-256 du PDF signé : {pdf_document.sha256}")
    expect(page.get_by_role("button", name="Signer la convention")).to_have_count(0)
    screenshot(page, "16-agreement-signed")

    # --- the programme manager confirms the allocation ------------------------------------
    row = open_chain_row(admin, base)
    expect(row).to_contain_text("attribution à confirmer")
    tick_row(admin, CENTRE)
    run_action(admin, "Confirmer les attributions")
    expect_admin_message(admin, "attribution confirmée, le centre est prévenu par e-mail.")
    expect(row).to_contain_text("matériel à préparer")
    screenshot(admin, "centre-admin-04-allocation-confirmed")
    admin.context.close()

    # --- logistics: prepare, ship, record the carrier's delivery ---------------------------
    warehouse = admin_page(new_context, base, LOGISTICS_EMAIL)
    warehouse.goto(base + reverse("admin:equipements_allocation_changelist"))
    row = warehouse.locator("#result_list tbody tr").filter(has_text=centre.name)
    expect(row).to_contain_text("confirmée")
    tick_row(warehouse, centre.name)
    run_action(warehouse, "Préparer le matériel (plus anciens en stock)")
    expect_admin_message(warehouse, "Matériel préparé pour")
    expect(row).to_contain_text("matériel préparé")
    expect(row).to_contain_text(str(len(SHIPPED)))
    tick_row(warehouse, centre.name)
    run_action(warehouse, "Créer les expéditions (une par site de réception)")
    expect_admin_message(warehouse, "Expéditions créées : EXP-")
    shipment = Shipment.objects.get()
    expect(row).to_contain_text(shipment.reference)
    check_a11y_in(warehouse, "attributions (expédition créée)")
    screenshot(warehouse, "centre-admin-05-shipment-created")

    warehouse.goto(base + reverse("admin:equipements_shipment_changelist"))
    warehouse.locator("#result_list").get_by_role("link", name=shipment.reference).click()
    expect(warehouse).to_have_url(
        base + reverse("admin:equipements_shipment_change", args=[shipment.pk])
    )
    warehouse.get_by_label("Nombre de colis").fill("2")
    warehouse.get_by_label("Transporteur").fill(CARRIER)
    warehouse.get_by_label("N° de suivi").fill(TRACKING)
    warehouse.get_by_role("button", name="Enregistrer", exact=True).click()
    expect_admin_message(warehouse, "a été modifié")
    tick_row(warehouse, shipment.reference)
    run_action(warehouse, "Marquer expédiée")
    expect_admin_message(warehouse, f"{shipment.reference} : expédiée.")
    screenshot(warehouse, "centre-admin-06-shipped")

    # The centre follows its parcel.
    page.get_by_role("navigation", name="Fil d’Ariane").get_by_role(
        "link", name=re.compile("^Suivi")
    ).click()
    expect(page).to_have_url(re.compile(r"/suivi/$"))
    expect(main).to_contain_text(f"Expédition {shipment.reference}")
    expect(main).to_contain_text(f"Transporteur : {CARRIER}, n° de suivi : {TRACKING}.")
    expect(main).to_contain_text("expédiée")
    check_a11y(page, "suivi (expédié)")
    screenshot(page, "17-follow-up-shipped")

    # The carrier delivered: logistics record it; the centre still has to check the parcel.
    tick_row(warehouse, shipment.reference)
    run_action(warehouse, "Marquer livrée par le transporteur")
    expect_admin_message(warehouse, "le centre confirme la réception")
    expect(
        warehouse.locator("#result_list tbody tr").filter(has_text=shipment.reference)
    ).to_contain_text("livrée par le transporteur")
    check_a11y_in(warehouse, "expéditions (livrée)")
    screenshot(warehouse, "centre-admin-07-delivered")
    assert Allocation.objects.get(pk=allocation.pk).status == AllocationStatus.SHIPPED

    # --- the centre: reception, serial by serial, nothing ticked beforehand -----------------
    page.reload()
    expect(main).to_contain_text("livrée par le transporteur")
    reception = page.locator("form").filter(
        has=page.get_by_role("button", name="Confirmer la réception")
    )
    boxes = reception.get_by_role("checkbox")
    expect(boxes).to_have_count(len(SHIPPED))
    for n in range(len(SHIPPED)):
        expect(boxes.nth(n)).not_to_be_checked()
    expect(reception).not_to_contain_text(SPARE_COMPUTER)
    for serial in SHIPPED:
        box = reception.get_by_role("checkbox", name=re.compile(re.escape(serial)))
        box.check()
        expect(box).to_be_checked()
    screenshot(page, "18-reception")
    page.get_by_role("button", name="Confirmer la réception").click()
    expect_message(page, "Réception confirmée. Merci !")
    expect(main).to_contain_text("réception confirmée")
    invoice = allocation.invoices.get(kind=InvoiceKind.INVOICE)
    # Invoiced at reception, its PDF ready to download.
    expect(main.get_by_role("link", name=f"Facture {invoice.number}", exact=True)).to_be_visible()
    expect(main.get_by_role("link", name=f"PDF {invoice.number}", exact=True)).to_be_visible()
    check_a11y(page, "suivi (reçu)")

    # The survey.
    page.get_by_role("link", name=re.compile("Répondre à l’enquête")).click()
    expect(page).to_have_url(re.compile(r"/candidatures/\d+/enquete/$"))
    check_a11y(page, "enquête de satisfaction")
    answer_question(page, "Satisfaction générale", "très satisfait")
    answer_question(page, "Qualité du matériel", "satisfait")
    answer_question(page, "Facilité d’installation", "très satisfait")
    answer_question(page, "Réactivité du SAV", "Nous n’avons pas eu besoin du SAV")
    page.get_by_label("Un espace de médiation numérique a été ouvert").check()
    page.get_by_label("Témoignage").fill("Les seniors du quartier viennent chaque mardi.")
    screenshot(page, "19-survey")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    expect(page).to_have_url(re.compile(r"/suivi/$"))
    expect_message(page, "Merci pour vos réponses !")
    expect(main).to_contain_text("Merci, vous avez répondu à l’enquête.")
    screenshot(page, "20-thanks")

    # After-sales: a computer that fails, reported from the list of devices received.
    page.get_by_text(f"{len(SHIPPED)} appareils reçus").click()
    page.get_by_role("link", name=f"signaler une panne ({COMPUTER_SERIALS[0]})").click()
    expect(page).to_have_url(re.compile(r"/sav/nouveau/\?item=\d+$"))
    expect(page.get_by_label("Matériel concerné")).to_have_value(
        str(Item.objects.get(serial_number=COMPUTER_SERIALS[0]).pk)
    )
    page.get_by_label("Objet").fill(TICKET_SUBJECT)
    page.get_by_label("Description du problème").fill("Depuis lundi, plus d’image au démarrage.")
    check_a11y(page, "SAV (nouvelle demande)")
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page).to_have_url(re.compile(r"/sav/\d+/$"))
    expect_message(page, "Votre demande est enregistrée : le SAV vous répond.")
    expect(page.get_by_role("heading", level=1)).to_have_text(TICKET_SUBJECT)
    check_a11y(page, "SAV (demande ouverte)")
    screenshot(page, "21-ticket")

    # --- the database --------------------------------------------------------------------
    call.refresh_from_db()
    application.refresh_from_db()
    agreement.refresh_from_db()
    allocation.refresh_from_db()
    shipment.refresh_from_db()
    assert call.status == CallStatus.DECIDED and call.results_published_at is not None
    assert application.status == ApplicationStatus.SELECTED
    assert agreement.status == AgreementStatus.SIGNED
    assert agreement.signer_name == "Camille Durand" and agreement.signed_by == user
    assert agreement.signed_document_sha256 == pdf_document.sha256
    assert allocation.status == AllocationStatus.DELIVERED and allocation.shipment == shipment
    assert shipment.status == ShipmentStatus.RECEIVED and shipment.confirmed_by == user
    assert (shipment.carrier, shipment.tracking_number, shipment.parcels) == (
        CARRIER,
        TRACKING,
        2,
    )
    statuses = dict(Item.objects.values_list("serial_number", "status"))
    assert statuses == {
        **dict.fromkeys(SHIPPED, ItemStatus.DELIVERED),
        SPARE_COMPUTER: ItemStatus.IN_STOCK,
    }
    assert allocation.invoices.filter(kind=InvoiceKind.INVOICE).count() == 1
    answer = SurveyAnswer.objects.get(application=application)
    assert (answer.satisfaction, answer.equipment_quality, answer.ease_of_installation) == (
        4,
        3,
        4,
    )
    assert answer.after_sales_responsiveness is None
    assert answer.opened_mediation_space is True
    assert answer.answered_by == user
    ticket = SupportTicket.objects.get()
    assert ticket.centre == centre and ticket.item.serial_number == COMPUTER_SERIALS[0]
    assert ticket.allocation == allocation

    # The centre's e-mails, each step in order, in French.
    subjects = [m.subject for m in mailoutbox if m.to == [EMAIL]]
    expected = [
        "Candidature reçue",
        "Résultat de votre candidature",
        f"Votre convention n° {agreement.number} est prête à signer",
        f"Convention n° {agreement.number} signée",
        "Votre attribution est confirmée",
        f"Votre matériel est en route – expédition {shipment.reference}",
        "Votre avis sur le matériel reçu",
    ]
    positions = [
        next((i for i, subject in enumerate(subjects) if subject.startswith(start)), None)
        for start in expected
    ]
    assert None not in positions and positions == sorted(positions), subjects
    outcome = next(m for m in mailoutbox if m.subject.startswith("Résultat de votre"))
    assert "est retenue par le comité" in outcome.body
    notice = next(m for m in mailoutbox if m.subject.startswith("Votre matériel est en route"))
    assert TRACKING in notice.body and all(serial in notice.body for serial in SHIPPED)
    assert check_a11y.checked == [
        "connexion",
        "tableau de bord",
        "mon centre",
        "fiche du centre (formulaire)",
        "appels ouverts",
        "détail de l’appel",
        "étape 1 – le projet",
        "étape 2 – le matériel demandé",
        "étape 3 – pièces jointes",
        "étape 4 – vérifier et déposer",
        "candidature déposée",
        "tableau de bord (déposée)",
        "suivi (convention à signer)",
        "convention",
        "suivi (expédié)",
        "suivi (reçu)",
        "enquête de satisfaction",
        "SAV (nouvelle demande)",
        "SAV (demande ouverte)",
    ]
