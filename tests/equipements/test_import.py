"""Import of a refurbisher's batch: the whole file checked, every error reported at once
(line, column, reason), all or nothing; missing device models and batch created from it."""

import io
import zipfile
from datetime import date

import pytest
import tablib
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from appels.models import PackType
from centres import roles
from centres.models import Partner
from equipements import services
from equipements.models import Batch, DataErasure, DeviceModel, Item
from equipements.resources import DEVICE_KIND_OF_PACK, ImportProblem
from tests.factories import (
    BatchFactory,
    DeviceModelFactory,
    ItemFactory,
    PackTypeFactory,
    PartnerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HEADERS = [
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


@pytest.fixture
def catalogue():
    model = DeviceModelFactory(manufacturer="Dell", name="OptiPlex 780")
    pack = PackTypeFactory(name="Pack bureautique")
    return model, pack


def row(
    serial,
    *,
    model="OptiPlex 780",
    manufacturer="Dell",
    grade="A",
    pack="Pack bureautique",
    erasure=True,
    erased_on="12/03/2012",
):
    return [
        serial,
        "",
        manufacturer,
        model,
        pack,
        grade,
        "reconditionné",
        "4 Go, 250 Go",
        "Blancco 3 passes" if erasure else "",
        erased_on if erasure else "",
        "Ateliers du Bocage" if erasure else "",
    ]


def dataset(rows, headers=HEADERS):
    data = tablib.Dataset(headers=headers)
    for values in rows:
        data.append(values)
    return data


def with_column(header, rows, values):
    """``rows`` with one more column ``header``, row ``i`` holding ``values[i]``."""
    return dataset([[*r, v] for r, v in zip(rows, values, strict=True)], [*HEADERS, header])


def without_column(header, rows):
    index = HEADERS.index(header)
    headers = [h for h in HEADERS if h != header]
    return dataset([[v for i, v in enumerate(r) if i != index] for r in rows], headers)


def refused(data, **choice):
    with pytest.raises(services.ImportRefused) as refusal:
        services.import_items(data, **choice)
    return refusal.value.rows


def test_a_clean_batch_imports_every_item_with_its_erasure_record(catalogue):
    batch = BatchFactory()
    result = services.import_items(
        dataset([row("SN-1"), row("sn-2", grade="b"), row("SN-3", erasure=False)]), batch=batch
    )
    assert result.totals["new"] == 3
    items = {item.serial_number: item for item in Item.objects.all()}
    assert set(items) == {"SN-1", "sn-2", "SN-3"}
    assert items["sn-2"].grade == "B"
    assert items["SN-1"].batch == batch
    assert items["SN-1"].provenance_partner == batch.partner
    assert items["SN-1"].received_on == batch.received_on
    assert items["SN-1"].provenance == "refurbished"
    assert DataErasure.objects.count() == 2
    assert str(DataErasure.objects.get(item=items["SN-1"]).erased_on) == "2012-03-12"
    # Inserted in bulk, each item still starts its history (the journey page reads it).
    assert Item.history.filter(history_type="+").count() == 3


def test_any_bad_row_imports_nothing_and_the_report_names_each_row_and_reason(catalogue, db_state):
    ItemFactory(serial_number="SN-EXISTING")
    batch = BatchFactory()
    before = db_state()

    with pytest.raises(services.ImportRefused) as refused:
        services.import_items(
            dataset(
                [
                    row("SN-10"),
                    row("SN-EXISTING"),  # line 3: already in stock
                    row("SN-11", model="Inconnu 9000", pack="Pack fantôme"),  # line 4
                    row("SN-12", grade="Z"),  # line 5
                    row("SN-10"),  # line 6: twice in the file
                    row("SN-13", pack="Pack fantôme"),  # line 7
                ]
            ),
            batch=batch,
        )

    assert db_state() == before
    lines = [line for line, _column, _reason in refused.value.rows]
    assert lines == [3, 4, 4, 5, 6, 7]
    reasons = {(line, column): reason for line, column, reason in refused.value.rows}
    assert "« SN-EXISTING » déjà enregistré dans le stock" in reasons[3, "numero_de_serie"]
    # An unknown model is created from its pack type's kind: not when the pack type is unknown.
    assert "Type de pack inconnu : « Pack fantôme »" in reasons[4, "type_de_pack"]
    assert "Modèle inconnu : « Dell Inconnu 9000 »" in reasons[4, "modele"]
    reasons = {line: reason for line, _column, reason in refused.value.rows}
    assert "Grade « Z » invalide" in reasons[5]
    assert "« SN-10 » en double dans le fichier (ligne 2)" in reasons[6]
    assert "Type de pack inconnu : « Pack fantôme »" in reasons[7]


def test_each_missing_column_is_reported_on_the_header_line(catalogue):
    data = tablib.Dataset(headers=["numero_de_serie", "grade"])
    data.append(["SN-1", "A"])
    with pytest.raises(services.ImportRefused) as refused:
        services.import_items(data, batch=BatchFactory())
    assert [(line, column) for line, column, _reason in refused.value.rows] == [
        (1, "fabricant"),
        (1, "modele"),
        (1, "type_de_pack"),
    ]
    assert all("Colonne obligatoire absente" in reason for *_, reason in refused.value.rows)
    assert not Item.objects.exists()


def _xlsx(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_logistics_import_from_the_admin_with_a_preview_then_a_confirmation(client, catalogue, fmt):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=roles.LOGISTICS))
    client.force_login(user)
    batch = BatchFactory()
    rows = [row("SN-A"), row("SN-B")]
    content = dataset(rows).export("csv").encode() if fmt == "csv" else _xlsx(rows)
    url = reverse("admin:equipements_item_import")
    page = client.get(url)
    assert page.status_code == 200
    # The form says which columns the file needs and which it may have.
    assert page.context["required_columns"] == [
        "numero_de_serie",
        "fabricant",
        "modele",
        "type_de_pack",
        "grade",
    ]
    form_html = page.content.decode()
    assert "<code>lot</code>" in form_html
    for name in ("import_file", "format", "batch", "partner", "received_on"):
        assert f'name="{name}"' in form_html
    formats = list(page.context["form"].fields["format"].choices)
    fmt_index = next(value for value, label in formats if label.lower() == fmt)

    preview = client.post(
        url,
        {
            "import_file": SimpleUploadedFile(f"lot.{fmt}", content),
            "format": fmt_index,
            "batch": batch.pk,
        },
    )

    assert preview.status_code == 200
    assert not Item.objects.exists()  # a preview writes nothing
    shown = preview.content.decode()
    assert "Blancco 3 passes" in shown and "reconditionné" in shown and "Dell" in shown
    confirm = preview.context["confirm_form"]
    assert confirm is not None
    done = client.post(
        reverse("admin:equipements_item_process_import"),
        {**confirm.initial, "batch": batch.pk},
    )
    assert done.status_code == 302
    assert set(Item.objects.values_list("serial_number", flat=True)) == {"SN-A", "SN-B"}
    assert set(Item.objects.values_list("batch", flat=True)) == {batch.pk}


def test_the_admin_preview_of_a_bad_file_offers_no_confirmation(client, catalogue):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=roles.LOGISTICS))
    client.force_login(user)
    batch = BatchFactory()
    content = dataset([row("SN-A"), row("SN-B", grade="Z")]).export("csv").encode()
    page = client.get(reverse("admin:equipements_item_import"))
    fmt_index = next(
        value for value, label in page.context["form"].fields["format"].choices if label == "csv"
    )

    preview = client.post(
        reverse("admin:equipements_item_import"),
        {
            "import_file": SimpleUploadedFile("lot.csv", content),
            "format": fmt_index,
            "batch": batch.pk,
        },
    )

    assert preview.status_code == 200
    assert preview.context.get("confirm_form") is None
    assert "Grade « Z » invalide" in preview.content.decode()
    assert not Item.objects.exists()
    assert preview.context["result"].report == [
        ImportProblem(3, "grade", "Grade « Z » invalide : valeurs possibles new, A, B, C.")
    ]


def _importer(client, batch=None):
    """A logged-in logistics user and a batch; returns ``post(name, content, **choice)``."""
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=roles.LOGISTICS))
    client.force_login(user)
    batch = batch or BatchFactory()
    url = reverse("admin:equipements_item_import")
    choices = client.get(url).context["form"].fields["format"].choices

    def post(name, content, **choice):
        extension = name.rsplit(".", 1)[1]
        fmt_index = next(value for value, label in choices if label.lower() == extension)
        return client.post(
            url,
            {
                "import_file": SimpleUploadedFile(name, content),
                "format": fmt_index,
                "batch": batch.pk,
                **choice,
            },
        )

    return post


def _zip_bomb(catalogue_rows):
    """A real workbook plus one part of 20 MB of zeros (about 20 kB once compressed)."""
    buffer = io.BytesIO(_xlsx(catalogue_rows))
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (20 * 1024 * 1024))
    return buffer.getvalue()


def test_a_zip_bomb_workbook_is_refused_next_to_the_file_field(client, catalogue, db_state):
    content = _zip_bomb([row("SN-A")])
    assert len(content) < 100 * 1024  # small on the wire, huge once unpacked

    post = _importer(client)
    before = db_state()
    response = post("lot.xlsx", content)

    assert response.status_code == 200
    assert response.context.get("confirm_form") is None
    errors = response.context["form"].errors["import_file"]
    assert any("archive piégée" in error for error in errors)
    assert db_state() == before


def test_a_file_over_5_mb_is_refused(client, catalogue, db_state):
    content = dataset([row("SN-A")]).export("csv").encode() + b"\n" * (6 * 1024 * 1024)

    post = _importer(client)
    before = db_state()
    response = post("lot.csv", content)

    assert response.status_code == 200
    errors = response.context["form"].errors["import_file"]
    assert any("dépasse 5 Mo" in error for error in errors)
    assert db_state() == before


def test_a_workbook_of_too_many_parts_is_refused(catalogue):
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        for index in range(services.IMPORT_MAX_ZIP_PARTS + 1):
            archive.writestr(f"part{index}.xml", b"<a/>")

    with pytest.raises(services.DomainError):
        services.check_import_file(SimpleUploadedFile("lot.xlsx", many.getvalue()))
    # A genuine workbook passes, and is left readable from its start.
    upload = SimpleUploadedFile("lot.xlsx", _xlsx([row("SN-A")]))
    services.check_import_file(upload)
    assert upload.read(2) == b"PK"


# --- The whole file checked: every error at once ------------------------------------------


FIVE_ERRORS = [
    row("SN-1"),  # line 2: fine
    row("SN-2", pack="Pack fantôme"),  # line 3: unknown pack type
    row("SN-3"),  # line 4: fine
    row("sn-1"),  # line 5: the serial of line 2 again
    row("SN-5", grade="Z"),  # line 6: bad grade
    row("SN-6", erased_on="31/02/2012"),  # line 7: no such date
]


def five_errors_file():
    """The rows above without their ``fabricant`` column: five different errors."""
    return without_column("fabricant", FIVE_ERRORS)


def assert_the_five_errors(report):
    assert [(line, column) for line, column, _reason in report] == [
        (1, "fabricant"),
        (3, "type_de_pack"),
        (5, "numero_de_serie"),
        (6, "grade"),
        (7, "effacement_date"),
    ]
    reasons = [reason for *_, reason in report]
    assert reasons[0].startswith("Colonne obligatoire absente")
    assert reasons[1].startswith("Type de pack inconnu : « Pack fantôme ».")
    assert "types existants : Pack bureautique" in reasons[1]
    assert "Appels à projets › Types de pack" in reasons[1]
    assert reasons[2] == "N° de série « sn-1 » en double dans le fichier (ligne 2)."
    assert reasons[3] == "Grade « Z » invalide : valeurs possibles new, A, B, C."
    assert reasons[4] == "Date « 31/02/2012 » invalide : JJ/MM/AAAA attendu."


def test_an_import_with_five_different_errors_reports_all_five_at_once(catalogue, db_state):
    batch = BatchFactory()
    before = db_state()

    report = refused(five_errors_file(), batch=batch)

    assert_the_five_errors(report)
    assert db_state() == before


def test_the_refusal_message_names_each_line_and_column(catalogue):
    with pytest.raises(services.ImportRefused) as refusal:
        services.import_items(five_errors_file(), batch=BatchFactory())
    assert refusal.value.messages[1] == (
        "Ligne 3, colonne type_de_pack : " + refusal.value.rows[1].reason
    )


def test_a_serial_twice_in_the_file_is_refused_whatever_its_case(catalogue):
    report = refused(dataset([row("AB-1"), row("AB-2"), row("ab-1")]), batch=BatchFactory())
    assert report == [
        ImportProblem(
            4, "numero_de_serie", "N° de série « ab-1 » en double dans le fichier (ligne 2)."
        )
    ]
    assert not Item.objects.exists()


def test_an_inventory_number_twice_or_already_used_is_refused(catalogue):
    ItemFactory(asset_tag="INV-USED")
    rows = [row("SN-1"), row("SN-2"), row("SN-3")]
    rows[0][1], rows[1][1], rows[2][1] = "INV-1", "INV-1", "INV-USED"
    report = refused(dataset(rows), batch=BatchFactory())
    assert [(line, column) for line, column, _ in report] == [
        (3, "numero_inventaire"),
        (4, "numero_inventaire"),
    ]
    assert "en double dans le fichier (ligne 2)" in report[0].reason
    assert "déjà utilisé dans le stock" in report[1].reason


def test_an_incomplete_erasure_names_each_missing_column(catalogue):
    rows = [row("SN-1")]
    rows[0][HEADERS.index("effacement_operateur")] = ""
    rows[0][HEADERS.index("effacement_date")] = ""
    report = refused(dataset(rows), batch=BatchFactory())
    assert [(line, column) for line, column, _ in report] == [
        (2, "effacement_date"),
        (2, "effacement_operateur"),
    ]
    assert all(reason.startswith("Effacement incomplet") for *_, reason in report)


def test_blank_rows_are_ignored(catalogue):
    data = dataset([row("SN-1"), [""] * len(HEADERS), row("SN-2"), [None] * len(HEADERS)])
    assert services.import_items(data, batch=BatchFactory()).totals["new"] == 2
    assert Item.objects.count() == 2


# --- A device's kind and its pack type's kind ------------------------------------------------


def test_every_pack_kind_takes_one_device_kind():
    assert set(DEVICE_KIND_OF_PACK) == set(PackType.Kind)


def test_a_laptop_in_a_tablet_fleet_is_refused_naming_both(catalogue):
    DeviceModelFactory(manufacturer="Lenovo", name="ThinkPad T420", kind=DeviceModel.Kind.LAPTOP)
    PackTypeFactory(name="Flotte de 6 tablettes", kind=PackType.Kind.TABLET, units_per_pack=6)
    rows = [
        row("SN-1", manufacturer="Lenovo", model="ThinkPad T420", pack="Flotte de 6 tablettes"),
        row("SN-2"),  # a desktop in a desktop pack: fine
    ]

    report = refused(dataset(rows), batch=BatchFactory())

    assert report == [
        ImportProblem(
            2,
            "modele",
            "« Lenovo ThinkPad T420 » est un appareil de type « ordinateur portable » : il ne va "
            "pas dans le type de pack « Flotte de 6 tablettes », qui prend des appareils de type "
            "« tablette ».",
        )
    ]
    assert not Item.objects.exists()


def test_a_new_model_keeps_the_kind_of_its_first_pack_type(catalogue):
    PackTypeFactory(name="Flotte de 6 tablettes", kind=PackType.Kind.TABLET, units_per_pack=6)
    rows = [
        row("SN-1", manufacturer="Huawei", model="MediaPad 10", pack="Flotte de 6 tablettes"),
        row("SN-2", manufacturer="huawei", model="mediapad 10", pack="Pack bureautique"),
    ]
    report = refused(dataset(rows), batch=BatchFactory())
    assert [(line, column) for line, column, _ in report] == [(3, "modele")]
    assert "« tablette »" in report[0].reason and "« Pack bureautique »" in report[0].reason
    assert not DeviceModel.objects.filter(name__iexact="MediaPad 10").exists()


# --- Device models and the batch created from the file ------------------------------------


def test_an_unknown_model_is_created_from_a_good_file_with_its_pack_kind(catalogue):
    PackTypeFactory(name="Pack portable", kind=PackType.Kind.LAPTOP)
    rows = [
        row("SN-1", manufacturer="Lenovo", model="ThinkPad T420", pack="Pack portable"),
        row("SN-2", manufacturer="LENOVO", model="thinkpad t420", pack="Pack portable"),
        row("SN-3"),
    ]

    services.import_items(dataset(rows), batch=BatchFactory())

    created = DeviceModel.objects.get(name="ThinkPad T420")
    assert (created.manufacturer, created.kind) == ("Lenovo", DeviceModel.Kind.LAPTOP)
    assert DeviceModel.objects.count() == 2  # the catalogue's and this one, once
    assert set(
        Item.objects.filter(device_model=created).values_list("serial_number", flat=True)
    ) == {
        "SN-1",
        "SN-2",
    }


def test_an_unknown_model_is_not_created_when_the_file_is_refused(catalogue, db_state):
    PackTypeFactory(name="Pack portable", kind=PackType.Kind.LAPTOP)
    before = db_state()
    rows = [
        row("SN-1", manufacturer="Lenovo", model="ThinkPad T420", pack="Pack portable"),
        row("SN-2", grade="Z"),
    ]

    report = refused(dataset(rows), batch=BatchFactory())

    assert [(line, column) for line, column, _ in report] == [(3, "grade")]
    assert not DeviceModel.objects.filter(name="ThinkPad T420").exists()
    assert db_state()["equipements.DeviceModel"] == before["equipements.DeviceModel"]


def test_a_batch_named_in_the_file_is_created_with_the_chosen_supplier(catalogue):
    supplier = PartnerFactory(name="Ateliers du Bocage", kind=Partner.Kind.REFURBISHER)
    rows = [row("SN-1"), row("SN-2")]
    data = with_column("lot", rows, ["LOT-2026-07", "LOT-2026-07"])

    services.import_items(data, partner=supplier, received_on=date(2026, 7, 3))

    batch = Batch.objects.get(reference="LOT-2026-07")
    assert (batch.partner, batch.received_on) == (supplier, date(2026, 7, 3))
    assert set(Item.objects.values_list("batch", "provenance_partner", "received_on")) == {
        (batch.pk, supplier.pk, date(2026, 7, 3))
    }


def test_a_new_batch_takes_its_supplier_from_the_file_and_today_by_default(catalogue):
    supplier = PartnerFactory(name="Ateliers du Bocage", kind=Partner.Kind.REFURBISHER)
    rows = with_column("lot", [row("SN-1")], ["LOT-NEUF"])
    data = dataset([[*rows[0], "ateliers du bocage"]], [*HEADERS, "lot", "fournisseur"])

    services.import_items(data)

    batch = Batch.objects.get(reference="LOT-NEUF")
    assert (batch.partner, batch.received_on) == (supplier, timezone.localdate())


def test_an_existing_batch_named_in_the_file_is_used(catalogue):
    batch = BatchFactory(reference="LOT-EXISTANT")
    services.import_items(with_column("lot", [row("SN-1")], ["lot-existant"]))
    assert Item.objects.get().batch == batch
    assert Batch.objects.count() == 1


def test_what_cannot_be_created_from_the_file_is_named_with_where_to_create_it(catalogue):
    rows = [row("SN-1", pack="Pack fantôme"), row("SN-2")]
    data = dataset(
        [[*rows[0], "LOT-NEUF", "Recycleur Inconnu"], [*rows[1], "LOT-NEUF", "Recycleur Inconnu"]],
        [*HEADERS, "lot", "fournisseur"],
    )

    with pytest.raises(services.ImportRefused) as refusal:
        services.import_items(data)

    report = refusal.value.rows
    assert [(line, column) for line, column, _ in report] == [
        (2, "type_de_pack"),
        (2, "fournisseur"),
    ]
    assert "Réseau des centres › Partenaires" in report[1].reason
    assert refusal.value.result.plan.to_create_first == [
        ("pack_type", "Pack fantôme"),
        ("partner", "Recycleur Inconnu"),
    ]
    assert not Batch.objects.exists()


def test_a_new_batch_without_a_supplier_says_what_to_choose(catalogue):
    report = refused(with_column("lot", [row("SN-1")], ["LOT-NEUF"]))
    assert [(line, column) for line, column, _ in report] == [(2, "lot")]
    assert "choisissez son fournisseur dans le formulaire" in report[0].reason
    assert "Matériel et logistique › Lots" in report[0].reason


def test_no_batch_at_all_is_reported_on_the_header(catalogue):
    report = refused(dataset([row("SN-1")]))
    assert [(line, column) for line, column, _ in report] == [(1, "lot")]


def test_a_file_naming_another_batch_than_the_form_is_refused(catalogue):
    BatchFactory(reference="LOT-A")
    chosen = BatchFactory(reference="LOT-B")
    rows = [row("SN-1"), row("SN-2")]
    report = refused(with_column("lot", rows, ["LOT-A", "LOT-C"]), batch=chosen)
    assert [(line, column) for line, column, _ in report] == [(2, "lot"), (3, "lot")]
    assert "« LOT-A », le formulaire le lot « LOT-B »" in report[0].reason
    assert "Un fichier porte un seul lot" in report[1].reason


# --- The admin: the report on the preview page, the creations announced ---------------------


def test_the_admin_preview_shows_the_whole_report_as_an_accessible_table(client, catalogue):
    post = _importer(client)
    response = post("lot.csv", five_errors_file().export("csv").encode())

    assert response.status_code == 200
    assert response.context.get("confirm_form") is None
    assert_the_five_errors(response.context["result"].report)
    html = response.content.decode()
    start = html.index('<table class="import-report">')
    table = html[start : html.index("</table>", start)]
    assert "<caption>5 erreurs dans le fichier</caption>" in table
    assert table.count('<th scope="col">') == 3
    assert table.count('<th scope="row">') == 5
    assert "<code>effacement_date</code>" in table
    assert "Date « 31/02/2012 » invalide" in table
    # What to create first, with a link for those allowed to (logistics may add pack types).
    assert f"{reverse('admin:appels_packtype_add')}?name=Pack%20fant%C3%B4me" in html
    assert not Item.objects.exists()


def test_the_admin_preview_announces_the_batch_and_models_it_will_create(client, catalogue):
    supplier = PartnerFactory(name="Ateliers du Bocage", kind=Partner.Kind.REFURBISHER)
    post = _importer(client)
    rows = [row("SN-1", manufacturer="HP", model="Compaq 6000 Pro"), row("SN-2")]
    content = with_column("lot", rows, ["LOT-NEUF", ""]).export("csv").encode()

    with CaptureQueriesContext(connection) as queries:
        preview = post("lot.csv", content, batch="", partner=supplier.pk, received_on="2026-07-03")

    html = preview.content.decode()
    assert "2 matériels entreront dans le lot « LOT-NEUF » (Ateliers du Bocage)." in html
    assert "le lot « LOT-NEUF », fourni par Ateliers du Bocage, reçu le 3 juillet 2026" in html
    assert "le modèle d’appareil « HP Compaq 6000 Pro » (unité centrale)" in html
    assert not Batch.objects.filter(reference="LOT-NEUF").exists()
    assert not DeviceModel.objects.filter(name="Compaq 6000 Pro").exists()
    # Not even written then rolled back: the preview inserts nothing.
    assert not [query for query in queries if query["sql"].lstrip().startswith("INSERT")]

    confirm = preview.context["confirm_form"]
    done = client.post(reverse("admin:equipements_item_process_import"), confirm.initial)

    assert done.status_code == 302
    batch = Batch.objects.get(reference="LOT-NEUF")
    assert (batch.partner, batch.received_on) == (supplier, date(2026, 7, 3))
    assert DeviceModel.objects.get(name="Compaq 6000 Pro").kind == DeviceModel.Kind.DESKTOP
    assert set(Item.objects.values_list("batch", flat=True)) == {batch.pk}


def test_a_serial_imported_between_preview_and_confirmation_refuses_the_import(client, catalogue):
    post = _importer(client)
    preview = post("lot.csv", dataset([row("SN-1"), row("SN-2")]).export("csv").encode())
    confirm = preview.context["confirm_form"]
    ItemFactory(serial_number="SN-2")  # someone else's import, meanwhile

    done = client.post(reverse("admin:equipements_item_process_import"), confirm.initial)

    assert done.status_code == 302
    assert done.url == reverse("admin:equipements_item_import")
    shown = [str(message) for message in get_messages(done.wsgi_request)]
    assert shown == [
        "Ligne 3, colonne numero_de_serie : N° de série « SN-2 » déjà enregistré dans le stock."
    ]
    assert set(Item.objects.values_list("serial_number", flat=True)) == {"SN-2"}


def _queries_of(client, post, rows):
    content = dataset(rows).export("csv").encode()
    with CaptureQueriesContext(connection) as preview_queries:
        preview = post("lot.csv", content)
    confirm = preview.context["confirm_form"]
    assert confirm is not None
    with CaptureQueriesContext(connection) as import_queries:
        done = client.post(reverse("admin:equipements_item_process_import"), confirm.initial)
    assert done.status_code == 302
    return len(preview_queries), len(import_queries)


def _bad_queries_of(post, rows):
    with CaptureQueriesContext(connection) as queries:
        response = post("lot.csv", dataset(rows).export("csv").encode())
    assert response.context["result"].report
    return len(queries)


def test_the_import_pages_run_a_constant_number_of_queries(client, catalogue):
    PackTypeFactory(name="Pack portable", kind=PackType.Kind.LAPTOP)
    post = _importer(client)

    def good(start, count):
        # Known and new models alike (one new model per row).
        return [
            row(f"SN-{n}")
            if n % 2
            else row(f"SN-{n}", manufacturer="Lenovo", model=f"T{n}", pack="Pack portable")
            for n in range(start, start + count)
        ]

    def bad(count):
        return [row(f"BAD-{n}", grade="Z") for n in range(count)] + [row("SN-0")]

    few = _queries_of(client, post, good(0, 3))
    many = _queries_of(client, post, good(100, 30))
    assert few == many
    assert Item.objects.count() == 33
    assert _bad_queries_of(post, bad(3)) == _bad_queries_of(post, bad(30))
