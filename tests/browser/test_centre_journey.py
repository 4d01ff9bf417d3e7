"""A new centre staff member's whole journey in a real browser (French), with axe checks.

Log in, complete the centre's profile, apply to an open call over two browser sessions (the
draft survives closing the browser), submit; then, once the programme team has selected,
allocated and shipped (services, in the test), sign the agreement, confirm reception and
answer the satisfaction survey.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from appels import services as appels_services
from appels.models import (
    Agreement,
    AgreementStatus,
    Application,
    ApplicationStatus,
    PackType,
    SurveyAnswer,
)
from centres.models import Partner
from equipements import services as equipements_services
from equipements.models import (
    AllocationStatus,
    DeviceModel,
    Grade,
    InvoiceKind,
    ItemStatus,
    Provenance,
    ShipmentStatus,
)
from solidaire.documents import DocumentKind, generate_document, request_document
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
NEW_PHONE = "02 99 12 34 56"
TITLE = "Un atelier numérique ouvert à tous au cœur du quartier"
SUMMARY = "Des ateliers d’initiation pour les habitants éloignés du numérique."
COMPUTERS = "Pack informatique reconditionné"
TABLETS = "Flotte de tablettes"
TABLETS_PER_FLEET = 4


# --- data --------------------------------------------------------------------------------


def make_call_and_centre():
    """An open call (computer packs, cap 10; a tablet fleet, cap 1; two criteria) and a
    member centre with one site and its referent, who has never logged in."""
    call = CallFactory(
        title="Mon centre social numérique et durable",
        edition="2012–2013",
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
    centre = CentreFactory(name="Centre social des Tilleuls", phone="")
    site = SiteFactory(centre=centre, name="Espace de vie sociale des Tilleuls")
    user = UserFactory(email=EMAIL, first_name="Camille", last_name="Durand")
    user.set_password(PASSWORD)  # with the test's fast hasher (browser_settings)
    user.save(update_fields=["password"])
    MembershipFactory(user=user, centre=centre, is_referent=True, role="directrice")
    return call, centre, site, user


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


def select_allocate_and_ship(application):
    """What the programme team and logistics do after the deadline, through the services.

    Returns the serial numbers shipped.
    """
    call = application.call
    manager = UserFactory(is_staff=True, email="charge.programme@example.org")
    appels_services.start_review(call, by=manager, now=call.closes_at + timedelta(seconds=1))
    appels_services.decide(application, ApplicationStatus.SELECTED, by=manager)
    appels_services.publish_results(call, by=manager)
    application.refresh_from_db()
    agreement = appels_services.issue_agreement(application)
    # Its PDF, as a worker makes it: the signing page offers it (and posts its checksum).
    generate_document(request_document(agreement, DocumentKind.AGREEMENT).pk)

    allocation = equipements_services.propose_allocation(application)
    equipements_services.confirm_allocation(allocation, by=manager)

    refurbisher = PartnerFactory(name="Ateliers du Bocage", kind=Partner.Kind.REFURBISHER)
    funder = PartnerFactory(name="Fondation du numérique solidaire", kind=Partner.Kind.FUNDER)
    desktop = DeviceModelFactory(manufacturer="Dell", name="OptiPlex 780")
    tablet = DeviceModelFactory(
        manufacturer="Huawei", name="MediaPad 10", kind=DeviceModel.Kind.TABLET
    )
    serials = []
    for line in allocation.lines.select_related("pack_type"):
        for n in range(line.device_count):
            if line.pack_type.kind == PackType.Kind.TABLET:
                item = ItemFactory(
                    serial_number=f"TAB-{n + 1:04d}",
                    device_model=tablet,
                    pack_type=line.pack_type,
                    grade=Grade.NEW,
                    provenance=Provenance.PURCHASED,
                    provenance_partner=funder,
                )
            else:
                item = ItemFactory(
                    serial_number=f"PC-{n + 1:04d}",
                    device_model=desktop,
                    pack_type=line.pack_type,
                    provenance=Provenance.REFURBISHED,
                    provenance_partner=refurbisher,
                )
                DataErasureFactory(item=item, operator=refurbisher.name)
            serials.append(item.serial_number)

    equipements_services.pick_items(allocation, by=manager)
    shipment = equipements_services.create_shipment([allocation], parcels=2)
    equipements_services.ship_shipment(
        shipment, carrier="Colissimo", tracking_number="6A01234567890"
    )
    return sorted(serials)


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


# --- the journey -------------------------------------------------------------------------


def test_new_staff_member_applies_and_follows_up_in_french(
    live_server, page, new_context, check_a11y, screenshot, browser_settings, tmp_path
):
    call, centre, site, user = make_call_and_centre()
    base = live_server.url
    pdf = write_pdf(tmp_path / "budget-previsionnel.pdf")
    page.set_default_timeout(10_000)

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

    # The programme team selects, allocates and ships.
    serials = select_allocate_and_ship(application)
    assert len(serials) == 2 + TABLETS_PER_FLEET

    # Back to the portal: the follow-up.
    page.reload()
    row = page.get_by_role("row").filter(has_text=TITLE)
    expect(row).to_contain_text("Retenue")
    row.get_by_role("link", name="Convention, livraison, facture, enquête").click()
    expect(page).to_have_url(re.compile(r"/candidatures/\d+/suivi/$"))
    expect(page.get_by_role("main")).to_contain_text("Colissimo")
    check_a11y(page, "suivi (expédié)")
    screenshot(page, "14-follow-up-shipped")

    # Sign the agreement.
    page.get_by_role("link", name="Lire et signer la convention").click()
    expect(page).to_have_url(re.compile(r"/candidatures/\d+/convention/$"))
    check_a11y(page, "convention")
    page.get_by_label("Nom et prénom du signataire").fill("Camille Durand")
    page.get_by_label("Qualité du signataire").fill("Directrice du centre social")
    page.get_by_label("J’ai lu la convention et je l’accepte au nom du centre.").check()
    screenshot(page, "15-agreement")
    page.get_by_role("button", name="Signer la convention").click()
    expect_message(page, "Convention signée. Merci !")
    expect(page.get_by_role("main")).to_contain_text("signée par Camille Durand")
    page.get_by_role("navigation", name="Fil d’Ariane").get_by_role(
        "link", name=re.compile("^Suivi")
    ).click()

    # Confirm reception: every serial number ticked.
    expect(page).to_have_url(re.compile(r"/suivi/$"))
    reception = page.locator("form").filter(
        has=page.get_by_role("button", name="Confirmer la réception")
    )
    boxes = reception.get_by_role("checkbox")
    expect(boxes).to_have_count(len(serials))
    for serial in serials:
        box = reception.get_by_role("checkbox", name=re.compile(re.escape(serial)))
        box.check()
        expect(box).to_be_checked()
    screenshot(page, "16-reception")
    page.get_by_role("button", name="Confirmer la réception").click()
    expect_message(page, "Réception confirmée. Merci !")
    check_a11y(page, "suivi (livré)")

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
    screenshot(page, "17-survey")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    expect(page).to_have_url(re.compile(r"/suivi/$"))
    expect_message(page, "Merci pour vos réponses !")
    expect(page.get_by_role("main")).to_contain_text("Merci, vous avez répondu à l’enquête.")
    screenshot(page, "18-thanks")

    application.refresh_from_db()
    agreement = Agreement.objects.get(application=application)
    assert agreement.status == AgreementStatus.SIGNED
    assert agreement.signer_name == "Camille Durand" and agreement.signed_by == user
    allocation = application.allocation
    assert allocation.status == AllocationStatus.DELIVERED
    assert allocation.shipment.status == ShipmentStatus.DELIVERED
    assert set(
        allocation.shipment.allocations.values_list(
            "lines__allocated_items__item__status", flat=True
        )
    ) == {ItemStatus.DELIVERED}
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
    assert len(check_a11y.checked) == 16
