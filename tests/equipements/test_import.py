"""Import of a refurbisher's batch: all or nothing, with an exact row-by-row report."""

import io
import zipfile

import pytest
import tablib
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from centres import roles
from equipements import services
from equipements.models import DataErasure, Item
from tests.factories import (
    BatchFactory,
    DeviceModelFactory,
    ItemFactory,
    PackTypeFactory,
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


def row(serial, *, model="OptiPlex 780", grade="A", pack="Pack bureautique", erasure=True):
    return [
        serial,
        "",
        "Dell",
        model,
        pack,
        grade,
        "reconditionné",
        "4 Go, 250 Go",
        "Blancco 3 passes" if erasure else "",
        "12/03/2012" if erasure else "",
        "Ateliers du Bocage" if erasure else "",
    ]


def dataset(rows):
    data = tablib.Dataset(headers=HEADERS)
    for values in rows:
        data.append(values)
    return data


def test_a_clean_batch_imports_every_item_with_its_erasure_record(catalogue):
    batch = BatchFactory()
    created = services.import_items(
        dataset([row("SN-1"), row("sn-2", grade="b"), row("SN-3", erasure=False)]), batch=batch
    )
    assert created == 3
    items = {item.serial_number: item for item in Item.objects.all()}
    assert set(items) == {"SN-1", "sn-2", "SN-3"}
    assert items["sn-2"].grade == "B"
    assert items["SN-1"].batch == batch
    assert items["SN-1"].provenance_partner == batch.partner
    assert items["SN-1"].received_on == batch.received_on
    assert items["SN-1"].provenance == "refurbished"
    assert DataErasure.objects.count() == 2
    assert str(DataErasure.objects.get(item=items["SN-1"]).erased_on) == "2012-03-12"


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
                    row("SN-11", model="Inconnu 9000"),  # line 4
                    row("SN-12", grade="Z"),  # line 5
                    row("SN-10"),  # line 6: twice in the file
                    row("SN-13", pack="Pack fantôme"),  # line 7
                ]
            ),
            batch=batch,
        )

    assert db_state() == before
    lines = [line for line, _reason in refused.value.rows]
    assert lines == [3, 4, 5, 6, 7]
    reasons = dict(refused.value.rows)
    assert "« SN-EXISTING » déjà enregistré dans le stock" in reasons[3]
    assert "Modèle inconnu : « Dell Inconnu 9000 »" in reasons[4]
    assert "Grade « Z » invalide" in reasons[5]
    assert "« SN-10 » en double dans le fichier (ligne 2)" in reasons[6]
    assert "Type de pack inconnu : « Pack fantôme »" in reasons[7]


def test_missing_columns_are_reported_before_any_row(catalogue):
    data = tablib.Dataset(headers=["numero_de_serie", "grade"])
    data.append(["SN-1", "A"])
    with pytest.raises(services.ImportRefused) as refused:
        services.import_items(data, batch=BatchFactory())
    assert "Colonnes manquantes : fabricant, modele, type_de_pack" in refused.value.rows[0][1]
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


def _importer(client):
    """A logged-in logistics user and a batch; returns ``post(name, content)``."""
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=roles.LOGISTICS))
    client.force_login(user)
    batch = BatchFactory()
    url = reverse("admin:equipements_item_import")
    choices = client.get(url).context["form"].fields["format"].choices

    def post(name, content):
        extension = name.rsplit(".", 1)[1]
        fmt_index = next(value for value, label in choices if label.lower() == extension)
        return client.post(
            url,
            {
                "import_file": SimpleUploadedFile(name, content),
                "format": fmt_index,
                "batch": batch.pk,
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
