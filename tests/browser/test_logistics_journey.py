"""The logistics journey in a real browser (French), with axe checks (issue 6).

A logistics staff member logs into the admin, imports a refurbisher's batch of four
computers (CSV, with their erasure records), scans two of them for a centre's allocation,
creates the shipment, sets the carrier and tracking number, prints the shipment sheet (PDF)
and marks it shipped: the centre gets an e-mail with the tracking number. Logistics record
the carrier's delivery; the centre's referent then checks the parcel in the portal, serial by
serial (nothing ticked in advance, an empty form refused): one computer is missing, which
records an incident. Logistics settle it by sending the missing one again (a third computer,
scanned, in a shipment of its own), which the centre receives. Last, the item's journey page
tells its story, and the spare computer is taken back for recycling. Only the starting data
(the decided call, the centre's signed agreement and proposed allocation, the people) comes
from factories: after the first page, nothing but the browser changes the database.
"""

import csv
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from appels.models import AgreementStatus, ApplicationStatus, CallStatus
from centres.models import Partner
from centres.roles import LOGISTICS
from equipements.models import (
    AllocationStatus,
    InvoiceKind,
    Item,
    ItemStatus,
    Settlement,
    Shipment,
    ShipmentStatus,
)
from solidaire.documents import DocumentKind
from solidaire.models import Document, DocumentStatus
from tests.browser.conftest import (
    AXE_PATH,
    BLOCKING_IMPACTS,
    SCREENSHOT_DIR,
    _format_violations,
)
from tests.browser.test_review_journey import admin_log_in, expect_admin_message
from tests.factories import (
    PASSWORD,
    AgreementFactory,
    AllocationFactory,
    ApplicationFactory,
    BatchFactory,
    CallFactory,
    CallOfferFactory,
    CentreFactory,
    DeviceModelFactory,
    MembershipFactory,
    PackTypeFactory,
    PartnerFactory,
    SiteFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOGISTICS_EMAIL = "morgan.lefebvre@logistique.example.org"
REFERENT_EMAIL = "camille.durand@tilleuls.example.org"
CENTRE = "Centre social des Tilleuls"
SITE = "Espace de vie sociale des Tilleuls"
PACK = "Pack informatique reconditionné"
BATCH = "LOT-2013-042"
REFURBISHER = "Ateliers du Bocage"
SERIALS = ("CZC2013A001", "CZC2013A002", "CZC2013A003", "CZC2013A004")
SHIPPED = SERIALS[:2]  # the allocation needs two computers
RECEIVED, MISSING = SHIPPED  # the centre finds one of them in the parcel
REPLACEMENT = SERIALS[2]  # sent again for the missing one
SPARE = SERIALS[3]  # stays in stock, then goes to recycling
CARRIER = "Colissimo"
TRACKING = "6A12345678901"
RESHIPMENT_TRACKING = "6A12345678902"
RECYCLER = "Ecosystem, Lyon"


# --- data --------------------------------------------------------------------------------


def with_password(user):
    user.set_password(PASSWORD)  # with the test's fast hasher (browser_settings)
    user.save(update_fields=["password"])
    return user


def make_allocation_and_people():
    """A decided call offering PACK (one computer per pack, confirmed once the agreement is
    signed), the selected application of a centre (one site, one referent) with its signed
    agreement and the allocation of two packs its publication proposed, the device model
    and the refurbisher's batch the file refers to, and a logistics staff member."""
    now = timezone.now()
    call = CallFactory(
        status=CallStatus.DECIDED,
        opens_at=now - timedelta(days=90),
        closes_at=now - timedelta(days=60),
        review_ends_at=now - timedelta(days=40),
        results_published_at=now - timedelta(days=30),
        confirm_after_signature=True,
        invoice_on_delivery=True,
        offers=0,
        criteria=0,
    )
    pack = PackTypeFactory(name=PACK, units_per_pack=1)
    CallOfferFactory(call=call, pack_type=pack, quantity_available=10, per_centre_cap=3)
    centre = CentreFactory(name=CENTRE)
    site = SiteFactory(centre=centre, name=SITE, postal_code="35200", city="Rennes")
    referent = with_password(
        UserFactory(email=REFERENT_EMAIL, first_name="Camille", last_name="Durand")
    )
    MembershipFactory(user=referent, centre=centre, is_referent=True, role="directrice")
    application = ApplicationFactory(
        call=call, centre=centre, site=site, status=ApplicationStatus.SELECTED, lines=2
    )
    AgreementFactory(application=application, status=AgreementStatus.SIGNED)
    allocation = AllocationFactory(application=application, lines=2)
    assert sum(line.device_count for line in allocation.lines.all()) == len(SHIPPED)

    DeviceModelFactory(manufacturer="HP", name="Compaq 6000 Pro")
    refurbisher = PartnerFactory(name=REFURBISHER, kind=Partner.Kind.REFURBISHER)
    batch = BatchFactory(partner=refurbisher, reference=BATCH)

    logistics = with_password(
        UserFactory(email=LOGISTICS_EMAIL, is_staff=True, first_name="Morgan", last_name="Lefebvre")
    )
    logistics.groups.add(Group.objects.get(name=LOGISTICS))
    return allocation, batch, referent


def write_batch_csv(path):
    """The refurbisher's spreadsheet, as CSV: three computers, each with its erasure."""
    erased_on = (timezone.localdate() - timedelta(days=7)).strftime("%d/%m/%Y")
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
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
            ]
        )
        for n, serial in enumerate(SERIALS, start=1):
            writer.writerow(
                [
                    serial,
                    f"INV-2013-{n:04d}",
                    "HP",
                    "Compaq 6000 Pro",
                    PACK,
                    "A",
                    "reconditionné",
                    "Core 2 Duo E8400, 4 Go, SSD 120 Go, Windows 10",
                    "Effacement certifié NIST 800-88",
                    erased_on,
                    REFURBISHER,
                ]
            )
    return path


def pdf_text(data):
    """The text of a PDF, as ``pdftotext -layout`` (poppler-utils) extracts it."""
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode()


# --- browser helpers ---------------------------------------------------------------------


def check_a11y_in(page, name, selector="#content"):
    """axe-core on ``selector`` (our content, not Django's own chrome); fails on
    serious/critical violations.

    axe is evaluated through the DevTools protocol, which the site's Content-Security-Policy
    (``script-src 'self'``, no inline script) does not block, unlike ``add_script_tag``.
    """
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_PATH.read_text(encoding="utf-8") + "\n;undefined")
    violations = page.evaluate(
        """async (selector) => {
          const results = await axe.run(selector, {resultTypes: ["violations"]});
          return results.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            targets: v.nodes.map((n) => n.target.join(" ")),
            summaries: v.nodes.map((n) => n.failureSummary),
          }));
        }""",
        selector,
    )
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        pytest.fail(_format_violations(name, page.url, blocking), pytrace=False)
    return violations


def run_action(page, label):
    """Choose ``label`` in the changelist's action menu and run it on the ticked rows."""
    page.locator("select[name=action]").select_option(label=label)
    page.locator("button[name=index]").click()


def tick_row(page, text):
    row = page.locator("#result_list tbody tr").filter(has_text=text)
    row.locator("input.action-select").check()
    return row


# --- the journey -------------------------------------------------------------------------


def test_logistics_imports_picks_ships_and_the_centre_confirms_reception(
    live_server, page, new_context, screenshot, browser_settings, mailoutbox, tmp_path
):
    # The shipment sheet is rendered in process when asked (PDF on the tmp storage).
    browser_settings.DOCUMENTS_RENDER_EAGERLY = True
    allocation, batch, referent = make_allocation_and_people()
    base = live_server.url
    upload = write_batch_csv(tmp_path / "lot-ateliers-du-bocage.csv")
    page.set_default_timeout(15_000)

    # --- logistics: import the batch ------------------------------------------------------
    admin_log_in(page, base, LOGISTICS_EMAIL)
    screenshot(page, "logistics-01-admin-index")
    page.goto(base + reverse("admin:equipements_item_changelist"))
    expect(page.locator("#result_list tbody tr")).to_have_count(0)
    page.get_by_role("link", name="Importer").click()
    expect(page).to_have_url(base + reverse("admin:equipements_item_import"))
    page.locator("#id_import_file").set_input_files(str(upload))
    page.locator("#id_format").select_option(label="csv")
    page.get_by_label("Lot").select_option(label=BATCH)
    check_a11y_in(page, "import (formulaire)")
    screenshot(page, "logistics-02-import-form")
    page.locator("input[type=submit]").click()

    # The preview: three new rows, nothing written yet.
    preview = page.locator("table.import-preview")
    expect(preview.locator("tbody tr")).to_have_count(len(SERIALS))
    for serial in SERIALS:
        expect(preview).to_contain_text(serial)
    expect(preview.locator("tbody tr .import-type")).to_have_text(["Nouveau"] * len(SERIALS))
    assert not Item.objects.exists()
    check_a11y_in(page, "import (aperçu)")
    screenshot(page, "logistics-03-import-preview")
    page.get_by_role("button", name="Confirmer l’importation").click()

    expect(page).to_have_url(base + reverse("admin:equipements_item_changelist"))
    expect_admin_message(page, f"Importation terminée: {len(SERIALS)} nouveaux")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(len(SERIALS))
    for serial in SERIALS:
        expect(rows.filter(has_text=serial)).to_contain_text("en stock")
    screenshot(page, "logistics-04-items-imported")
    items = {item.serial_number: item for item in Item.objects.select_related("erasure")}
    assert set(items) == set(SERIALS)
    assert {item.batch_id for item in items.values()} == {batch.pk}
    assert all(item.erasure.operator == REFURBISHER for item in items.values())

    # --- logistics: confirm the allocation, scan two computers -------------------------------
    page.goto(base + reverse("admin:equipements_allocation_changelist"))
    tick_row(page, CENTRE)
    run_action(page, "Confirmer l’attribution")
    expect_admin_message(page, "confirmée")
    row = page.locator("#result_list tbody tr").filter(has_text=CENTRE)
    expect(row).to_contain_text("confirmée")
    check_a11y_in(page, "attributions")
    screenshot(page, "logistics-05-allocation-confirmed")
    row.get_by_role("link", name="Scanner").click()
    expect(page).to_have_url(
        base + reverse("admin:equipements_allocation_scan", args=[allocation.pk])
    )
    check_a11y_in(page, "préparation (vide)")
    screenshot(page, "logistics-06-scan-empty")
    for position, serial in enumerate(SHIPPED, start=1):
        # A barcode scanner types the serial and presses Enter, in the focused field.
        expect(page.locator("#id_serial")).to_be_focused()
        page.keyboard.type(serial)
        page.keyboard.press("Enter")
        expect_admin_message(page, f"{serial} ajouté.")
        picked = page.locator("#content-main table.full-width tbody tr")
        expect(picked).to_have_count(position)
        if position == 1:
            screenshot(page, "logistics-07-scan-one")
    expect(page.get_by_role("status")).to_contain_text("Tout est préparé")
    expect(page.locator("#id_serial")).to_have_count(0)
    check_a11y_in(page, "préparation (terminée)")
    screenshot(page, "logistics-08-scan-done")
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.PICKED

    # --- logistics: the shipment -----------------------------------------------------------
    page.get_by_role("link", name="Créer l’expédition depuis les attributions préparées").click()
    expect(page).to_have_url(
        base + reverse("admin:equipements_allocation_changelist") + "?status__exact=picked"
    )
    tick_row(page, CENTRE)
    run_action(page, "Créer les expéditions (une par site de réception)")
    expect_admin_message(page, "Expéditions créées : EXP-")
    shipment = Shipment.objects.get()
    expect(page.locator("#result_list")).to_contain_text(shipment.reference)
    screenshot(page, "logistics-09-shipment-created")

    page.goto(base + reverse("admin:equipements_shipment_changelist"))
    page.locator("#result_list").get_by_role("link", name=shipment.reference).click()
    expect(page).to_have_url(
        base + reverse("admin:equipements_shipment_change", args=[shipment.pk])
    )
    page.get_by_label("Transporteur").fill(CARRIER)
    page.get_by_label("N° de suivi").fill(TRACKING)
    check_a11y_in(page, "expédition (formulaire)")
    screenshot(page, "logistics-10-shipment-form")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect_admin_message(page, "a été modifié")
    shipment.refresh_from_db()
    assert (shipment.carrier, shipment.tracking_number) == (CARRIER, TRACKING)

    # Print the shipment sheet: (re)produce its PDF, then download it.
    tick_row(page, shipment.reference)
    run_action(page, "Produire ou reproduire le PDF")
    expect_admin_message(page, "1 document(s) demandé(s)")
    row = page.locator("#result_list tbody tr").filter(has_text=shipment.reference)
    with page.expect_download() as download_info:
        row.get_by_role("link", name="PDF").click()
    download = download_info.value
    sheet = Path(download.path()).read_bytes()
    assert sheet.startswith(b"%PDF-"), sheet[:20]
    assert download.suggested_filename.endswith(".pdf")
    download.save_as(SCREENSHOT_DIR / "logistics-sheet.pdf")  # for a person to look at
    text = pdf_text(sheet)
    for expected in (shipment.reference, CENTRE, CARRIER, TRACKING, *SHIPPED):
        assert expected in text, f"{expected!r} missing from the shipment sheet"
    assert SPARE not in text and REPLACEMENT not in text
    document = Document.objects.get(kind=DocumentKind.SHIPMENT_SHEET, object_id=shipment.pk)
    assert document.status == DocumentStatus.READY
    screenshot(page, "logistics-11-sheet-ready")

    # Shipped: the centre is told, with the tracking number.
    tick_row(page, shipment.reference)
    run_action(page, "Marquer expédiée")
    expect_admin_message(page, f"{shipment.reference} : expédiée.")
    row = page.locator("#result_list tbody tr").filter(has_text=shipment.reference)
    expect(row).to_contain_text("expédiée")
    check_a11y_in(page, "expéditions")
    screenshot(page, "logistics-12-shipped")
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.SHIPPED
    # The centre heard of the confirmation, then of the parcel (one e-mail each).
    subjects = [m.subject for m in mailoutbox if m.to == [REFERENT_EMAIL]]
    assert len(subjects) == 2 and subjects[0].startswith("Votre attribution est confirmée")
    assert subjects[1] == f"Votre matériel est en route – expédition {shipment.reference}"
    notice = next(m for m in mailoutbox if m.subject == subjects[1])
    assert TRACKING in notice.body
    assert all(serial in notice.body for serial in SHIPPED)

    # The carrier delivered: a fact of its own, recorded by logistics; nothing received yet.
    tick_row(page, shipment.reference)
    run_action(page, "Marquer livrée par le transporteur")
    expect_admin_message(page, f"{shipment.reference} : livrée ; le centre confirme la réception")
    expect(row).to_contain_text("livrée par le transporteur")
    screenshot(page, "logistics-13-delivered-by-carrier")
    shipment.refresh_from_db()
    allocation.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED and shipment.received_at is None
    assert allocation.status == AllocationStatus.SHIPPED
    assert not allocation.invoices.exists()
    page.context.close()

    # --- the centre's referent: reception ----------------------------------------------------
    page = new_context().new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/compte/connexion/")
    page.locator("#id_username").fill(REFERENT_EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{base}/mon-espace/")
    page.goto(base + reverse("equipements:follow_up", args=[allocation.application_id]))
    main = page.get_by_role("main")
    expect(main).to_contain_text(shipment.reference)
    expect(main).to_contain_text("livrée par le transporteur")
    expect(main).to_contain_text(CARRIER)
    expect(main).to_contain_text(TRACKING)
    reception = page.locator("form").filter(
        has=page.get_by_role("button", name="Confirmer la réception")
    )
    boxes = reception.get_by_role("checkbox")
    expect(boxes).to_have_count(len(SHIPPED))
    # Nothing is ticked in advance, and an empty form is refused, next to the boxes.
    for n in range(len(SHIPPED)):
        expect(boxes.nth(n)).not_to_be_checked()
    confirm = page.get_by_role("button", name="Confirmer la réception")
    confirm.click()
    expect(reception).to_contain_text(
        "Cochez chaque matériel reçu, ou décrivez le problème si le colis n’est pas arrivé."
    )
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED and shipment.received_at is None
    # One computer is in the parcel, the other one is not: only the first is ticked.
    box = reception.get_by_role("checkbox", name=re.compile(re.escape(RECEIVED)))
    box.check()
    expect(box).to_be_checked()
    check_a11y_in(page, "suivi (livré par le transporteur)", "body")
    screenshot(page, "logistics-14-reception-one-missing")
    confirm.click()
    expect(page.get_by_role("status")).to_contain_text(
        "Le problème est signalé à la logistique, qui vous recontacte."
    )
    problem = main.locator(".alert-warning").filter(has_text="Problème signalé")
    expect(problem).to_contain_text(f"Non reçus : {MISSING}.")
    expect(problem).to_contain_text("La logistique s’en occupe")
    check_a11y_in(page, "suivi (incident)", "body")
    screenshot(page, "logistics-15-incident")
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.INCIDENT and shipment.missing_serials == [MISSING]
    assert mailoutbox[-1].subject == f"Incident enregistré – expédition {shipment.reference}"
    assert mailoutbox[-1].to == [REFERENT_EMAIL]

    # --- logistics: the missing computer is sent again --------------------------------------
    warehouse = new_context().new_page()
    warehouse.set_default_timeout(15_000)
    admin_log_in(warehouse, base, LOGISTICS_EMAIL)
    warehouse.goto(base + reverse("admin:equipements_shipment_changelist"))
    row = warehouse.locator("#result_list tbody tr").filter(has_text=shipment.reference)
    expect(row).to_contain_text("incident")
    tick_row(warehouse, shipment.reference)
    run_action(warehouse, "Incident : réexpédier les manquants")
    expect_admin_message(warehouse, "les attributions concernées repassent en préparation")
    warehouse.goto(base + reverse("admin:equipements_allocation_changelist"))
    row = warehouse.locator("#result_list tbody tr").filter(has_text=CENTRE)
    expect(row).to_contain_text("confirmée")
    row.get_by_role("link", name="Scanner").click()
    expect(warehouse.locator("#id_serial")).to_be_focused()
    warehouse.keyboard.type(REPLACEMENT)
    warehouse.keyboard.press("Enter")
    expect_admin_message(warehouse, f"{REPLACEMENT} ajouté.")
    expect(warehouse.get_by_role("status")).to_contain_text("Tout est préparé")
    warehouse.get_by_role(
        "link", name="Créer l’expédition depuis les attributions préparées"
    ).click()
    tick_row(warehouse, CENTRE)
    run_action(warehouse, "Créer les expéditions (une par site de réception)")
    expect_admin_message(warehouse, "Expéditions créées : EXP-")
    reshipment = Shipment.objects.exclude(pk=shipment.pk).get()
    assert reshipment.reshipment_of == shipment
    warehouse.goto(base + reverse("admin:equipements_shipment_change", args=[reshipment.pk]))
    warehouse.get_by_label("Transporteur").fill(CARRIER)
    warehouse.get_by_label("N° de suivi").fill(RESHIPMENT_TRACKING)
    warehouse.get_by_role("button", name="Enregistrer", exact=True).click()
    expect_admin_message(warehouse, "a été modifié")
    tick_row(warehouse, reshipment.reference)
    run_action(warehouse, "Marquer expédiée")
    expect_admin_message(warehouse, f"{reshipment.reference} : expédiée.")
    tick_row(warehouse, reshipment.reference)
    run_action(warehouse, "Marquer livrée par le transporteur")
    expect_admin_message(warehouse, f"{reshipment.reference} : livrée")
    rows = warehouse.locator("#result_list tbody tr")
    expect(rows.filter(has_text=shipment.reference)).to_contain_text("incident")
    expect(rows.filter(has_text=reshipment.reference)).to_contain_text("livrée par le transporteur")
    check_a11y_in(warehouse, "expéditions (réexpédition)")
    screenshot(warehouse, "logistics-16-reshipped")
    warehouse.context.close()

    # --- the centre receives the computer sent again ------------------------------------------
    page.reload()
    expect(main).to_contain_text(reshipment.reference)
    expect(main).to_contain_text(RESHIPMENT_TRACKING)
    boxes = reception.get_by_role("checkbox")
    expect(boxes).to_have_count(1)
    box = reception.get_by_role("checkbox", name=re.compile(re.escape(REPLACEMENT)))
    expect(box).not_to_be_checked()
    box.check()
    confirm.click()
    expect(page.get_by_role("status")).to_contain_text("Réception confirmée. Merci !")
    expect(main).to_contain_text("réception confirmée")
    check_a11y_in(page, "suivi (reçu)", "body")
    screenshot(page, "logistics-17-received")
    page.context.close()

    # --- logistics again: an item's journey, the spare one's end of life ---------------------
    page = new_context().new_page()
    page.set_default_timeout(15_000)
    admin_log_in(page, base, LOGISTICS_EMAIL)
    page.goto(base + reverse("admin:equipements_item_changelist"))
    rows = page.locator("#result_list tbody tr")
    rows.filter(has_text=REPLACEMENT).get_by_role("link", name="Parcours").click()
    expect(page).to_have_url(
        base + reverse("admin:equipements_item_journey", args=[items[REPLACEMENT].pk])
    )
    content = page.locator("#content-main")
    expect(content).to_contain_text("livré")
    expect(content).to_contain_text(BATCH)
    expect(content).to_contain_text("Effacement certifié NIST 800-88")
    shipped_row = content.locator("tr").filter(has_text=reshipment.reference)
    expect(shipped_row).to_contain_text(CENTRE)
    expect(shipped_row).to_contain_text("réception confirmée")
    check_a11y_in(page, "parcours du matériel")
    screenshot(page, "logistics-18-item-journey")

    page.goto(base + reverse("admin:equipements_item_changelist"))
    tick_row(page, SPARE)
    run_action(page, "Reprendre pour recyclage…")
    expect(page.locator("#content-main")).to_contain_text(SPARE)
    # Today by default, shown by the browser's date input (an ISO value).
    expect(page.get_by_label("Repris le")).to_have_value(timezone.localdate().isoformat())
    page.get_by_label("Filière de recyclage").fill(RECYCLER)
    check_a11y_in(page, "reprise pour recyclage")
    screenshot(page, "logistics-19-end-of-life")
    page.get_by_role("button", name="Enregistrer la reprise").click()
    expect_admin_message(page, f"{SPARE} : repris pour recyclage.")
    expect(page.locator("#result_list tbody tr").filter(has_text=SPARE)).to_contain_text(
        "repris pour recyclage"
    )
    screenshot(page, "logistics-20-recycled")

    # --- the database --------------------------------------------------------------------
    shipment.refresh_from_db()
    reshipment.refresh_from_db()
    allocation.refresh_from_db()
    assert shipment.status == ShipmentStatus.INCIDENT and shipment.settled_at is not None
    assert shipment.settlement == Settlement.RESHIPPED and shipment.confirmed_by == referent
    assert reshipment.status == ShipmentStatus.RECEIVED and reshipment.confirmed_by == referent
    assert allocation.status == AllocationStatus.DELIVERED and allocation.shipment == reshipment
    statuses = dict(Item.objects.values_list("serial_number", "status"))
    assert statuses == {
        RECEIVED: ItemStatus.DELIVERED,
        MISSING: ItemStatus.LOST,
        REPLACEMENT: ItemStatus.DELIVERED,
        SPARE: ItemStatus.RECYCLED,
    }
    spare = Item.objects.get(serial_number=SPARE)
    assert spare.end_of_life_destination == RECYCLER
    assert spare.end_of_life_on == timezone.localdate()
    assert allocation.invoices.filter(kind=InvoiceKind.INVOICE).count() == 1
