"""Import of a refurbisher's batch of items (CSV or XLSX) with django-import-export.

One row per device, French column headers as a refurbisher's spreadsheet has them. The file
is checked whole before anything is written (:class:`BatchPlan`): every row and every column,
each error reported with its line (the header is line 1), its column and its reason, in one
report. A file with any error imports nothing. A device model the file names but the stock
does not know yet is created from the row (its kind deduced from the pack type), and so is
the batch the file names in a ``lot`` column; both only when the whole file imports. What
the file cannot create by itself (a pack type, a partner) is named in the report, with where
to create it first.

The whole check reads the database a constant number of times, whatever the file's length;
so do the preview (which writes nothing) and the import (bulk inserts).
"""

from datetime import date, datetime
from typing import NamedTuple

from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets
from import_export.results import Result
from simple_history.utils import bulk_create_with_history

from appels.models import PackType
from centres.models import Partner

from .models import Batch, DataErasure, DeviceModel, Grade, Item, Provenance

COLUMNS = {
    "serial_number": gettext_lazy("numero_de_serie"),
    "asset_tag": gettext_lazy("numero_inventaire"),
    "manufacturer": gettext_lazy("fabricant"),
    "device_model": gettext_lazy("modele"),
    "pack_type": gettext_lazy("type_de_pack"),
    "grade": gettext_lazy("grade"),
    "provenance": gettext_lazy("provenance"),
    "specifications": gettext_lazy("caracteristiques"),
    "erasure_method": gettext_lazy("effacement_methode"),
    "erasure_date": gettext_lazy("effacement_date"),
    "erasure_operator": gettext_lazy("effacement_operateur"),
    "batch": gettext_lazy("lot"),
    "supplier": gettext_lazy("fournisseur"),
}
REQUIRED_COLUMNS = ("serial_number", "manufacturer", "device_model", "pack_type", "grade")
ERASURE_COLUMNS = ("erasure_method", "erasure_date", "erasure_operator")

# The main device a pack of each kind is made of: a desktop pack ("ordinateur fixe avec
# écran") counts desktop units, its screen and keyboard are not items of the stock.
DEVICE_KIND_OF_PACK = {
    PackType.Kind.DESKTOP: DeviceModel.Kind.DESKTOP,
    PackType.Kind.LAPTOP: DeviceModel.Kind.LAPTOP,
    PackType.Kind.TABLET: DeviceModel.Kind.TABLET,
}


class ImportProblem(NamedTuple):
    """One error of a batch file: its line (header = 1), its column header, the reason."""

    line: int
    column: str
    reason: str


class Missing(NamedTuple):
    """Something the file names that must be created in the admin before it can import."""

    kind: str  # "pack_type" or "partner"
    name: str


def _text(value):
    return "" if value is None else str(value).strip()


def _column(name):
    return str(COLUMNS[name])


def _choice(choices, value):
    """The code of a choice given by its code or its label, case-insensitively, or None."""
    text = _text(value).lower()
    for code, label in choices.choices:
        if text in (str(code).lower(), str(label).lower()):
            return code
    return None


def _parse_date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


class PlannedItem(NamedTuple):
    serial_number: str
    asset_tag: str | None
    device_model: DeviceModel | None
    pack_type: PackType | None
    grade: str | None
    provenance: str | None
    specifications: str
    erasure: tuple | None


class BatchPlan:
    """A batch file checked whole: its problems, or what importing it will write.

    ``batch``, ``partner`` and ``received_on`` are what the import form chose: the batch the
    items go to, or, for a batch the file names in its ``lot`` column and that does not
    exist yet, its supplier and the day it was received (today by default).
    """

    def __init__(self, dataset, *, batch=None, partner=None, received_on=None):
        self.problems = []
        self.to_create_first = []
        self.rows = []  # one PlannedItem per data row; None for a blank row
        self.batch = batch
        self.creates_batch = False
        self.new_models = {}  # (manufacturer, name) lower-cased -> unsaved DeviceModel
        self._partner = partner
        self._received_on = received_on
        headers = [_text(header).lower() for header in dataset.headers or []]
        self._index = {}
        for position, header in enumerate(headers):
            self._index.setdefault(header, position)
        self.present = {name for name in COLUMNS if _column(name) in self._index}
        self._check_headers(headers)
        records = [self._record(values) for values in dataset]
        self._load(records)
        self._batch_names = []  # (line, reference as written)
        self._supplier_names = []  # (line, supplier as written)
        self._serials, self._tags = {}, {}
        for position, record in enumerate(records):
            line = position + 2
            if not any(_text(value) for value in record.values()):
                self.rows.append(None)
                continue
            self.rows.append(self._check_row(line, record))
        if not any(self.rows) and not self.problems:
            self._refuse(1, "", _("Le fichier ne contient aucun matériel."))
        self._resolve_batch()
        order = {_column(name): index for index, name in enumerate(COLUMNS)}
        self.problems.sort(key=lambda problem: (problem.line, order.get(problem.column, -1)))

    # --- what the import will write ------------------------------------------------------

    @property
    def item_count(self):
        return sum(1 for row in self.rows if row is not None)

    def save_new_references(self):
        """Create the batch and the device models the file names (inside the import's
        transaction: they exist only if the whole file imports)."""
        if self.creates_batch:
            self.batch.save()
        if self.new_models:
            DeviceModel.objects.bulk_create(self.new_models.values())

    # --- the checks ----------------------------------------------------------------------

    def _refuse(self, line, name, reason):
        self.problems.append(ImportProblem(line, _column(name) if name else "", reason))

    def _need(self, kind, name):
        missing = Missing(kind, name)
        if missing not in self.to_create_first:
            self.to_create_first.append(missing)

    def _record(self, values):
        return {
            name: values[self._index[_column(name)]] if name in self.present else None
            for name in COLUMNS
        }

    def _check_headers(self, headers):
        known = {_column(name) for name in COLUMNS}
        unknown = [header for header in headers if header and header not in known]
        for name in REQUIRED_COLUMNS:
            if name in self.present:
                continue
            reason = _("Colonne obligatoire absente de la première ligne du fichier.")
            if unknown:
                reason += " " + _("Colonnes non reconnues : %(columns)s.") % {
                    "columns": ", ".join(unknown)
                }
            self._refuse(1, name, reason)

    def _load(self, records):
        """Everything the rows refer to, in one query per table for the whole file."""
        serials = {_text(record["serial_number"]) for record in records} - {""}
        variants = {v for s in serials for v in (s, s.lower(), s.upper())}
        self._known_serials = {
            serial.lower()
            for serial in Item.objects.filter(serial_number__in=variants).values_list(
                "serial_number", flat=True
            )
        }
        tags = {_text(record["asset_tag"]) for record in records} - {""}
        self._known_tags = (
            set(Item.objects.filter(asset_tag__in=tags).values_list("asset_tag", flat=True))
            if tags
            else set()
        )
        self._packs = (
            {pack.name.lower(): pack for pack in PackType.objects.order_by("name")}
            if "pack_type" in self.present
            else {}
        )
        names = {_text(record["device_model"]).lower() for record in records} - {""}
        self._models = (
            {
                (model.manufacturer.lower(), model.name.lower()): model
                for model in DeviceModel.objects.annotate(lower_name=Lower("name")).filter(
                    lower_name__in=names
                )
            }
            if names
            else {}
        )

    def _check_row(self, line, record):
        serial = self._check_serial(line, _text(record["serial_number"]))
        tag = self._check_tag(line, _text(record["asset_tag"]))
        pack = self._check_pack(line, _text(record["pack_type"]))
        model = self._check_model(
            line, _text(record["manufacturer"]), _text(record["device_model"]), pack
        )
        grade = None
        if "grade" in self.present:
            grade = _choice(Grade, record["grade"])
            if grade is None:
                self._refuse(
                    line,
                    "grade",
                    _("Grade « %(value)s » invalide : valeurs possibles %(choices)s.")
                    % {"value": _text(record["grade"]), "choices": ", ".join(Grade.values)},
                )
        provenance = Provenance.REFURBISHED
        if _text(record["provenance"]):
            provenance = _choice(Provenance, record["provenance"])
            if provenance is None:
                self._refuse(
                    line,
                    "provenance",
                    _("Provenance « %(value)s » invalide : valeurs possibles %(choices)s.")
                    % {
                        "value": _text(record["provenance"]),
                        "choices": ", ".join(str(label) for label in Provenance.labels),
                    },
                )
        if _text(record["batch"]):
            self._batch_names.append((line, _text(record["batch"])))
        if _text(record["supplier"]):
            self._supplier_names.append((line, _text(record["supplier"])))
        return PlannedItem(
            serial_number=serial,
            asset_tag=tag or None,
            device_model=model,
            pack_type=pack,
            grade=grade,
            provenance=provenance,
            specifications=_text(record["specifications"]),
            erasure=self._check_erasure(line, record),
        )

    def _check_serial(self, line, serial):
        if "serial_number" not in self.present:
            return serial
        if not serial:
            self._refuse(line, "serial_number", _("Le n° de série est obligatoire."))
            return serial
        limit = Item._meta.get_field("serial_number").max_length
        if len(serial) > limit:
            self._refuse(
                line,
                "serial_number",
                _("N° de série trop long : %(limit)s caractères au plus.") % {"limit": limit},
            )
        key = serial.lower()
        if key in self._serials:
            self._refuse(
                line,
                "serial_number",
                _("N° de série « %(serial)s » en double dans le fichier (ligne %(line)s).")
                % {"serial": serial, "line": self._serials[key]},
            )
        else:
            self._serials[key] = line
        if key in self._known_serials:
            self._refuse(
                line,
                "serial_number",
                _("N° de série « %(serial)s » déjà enregistré dans le stock.") % {"serial": serial},
            )
        return serial

    def _check_tag(self, line, tag):
        if not tag:
            return tag
        limit = Item._meta.get_field("asset_tag").max_length
        if len(tag) > limit:
            self._refuse(
                line,
                "asset_tag",
                _("N° d’inventaire trop long : %(limit)s caractères au plus.") % {"limit": limit},
            )
        if tag in self._tags:
            self._refuse(
                line,
                "asset_tag",
                _("N° d’inventaire « %(tag)s » en double dans le fichier (ligne %(line)s).")
                % {"tag": tag, "line": self._tags[tag]},
            )
        else:
            self._tags[tag] = line
        if tag in self._known_tags:
            self._refuse(
                line,
                "asset_tag",
                _("N° d’inventaire « %(tag)s » déjà utilisé dans le stock.") % {"tag": tag},
            )
        return tag

    def _check_pack(self, line, name):
        if "pack_type" not in self.present:
            return None
        if not name:
            self._refuse(line, "pack_type", _("Le type de pack est obligatoire."))
            return None
        pack = self._packs.get(name.lower())
        if pack is None:
            self._need("pack_type", name)
            self._refuse(
                line,
                "pack_type",
                _(
                    "Type de pack inconnu : « %(name)s ». Corrigez le nom (types existants : "
                    "%(known)s) ou créez d’abord ce type dans Appels à projets › Types de pack."
                )
                % {
                    "name": name,
                    "known": ", ".join(pack.name for pack in self._packs.values()) or "—",
                },
            )
        return pack

    def _check_model(self, line, manufacturer, name, pack):
        if "manufacturer" in self.present and not manufacturer:
            self._refuse(line, "manufacturer", _("Le fabricant est obligatoire."))
        if "device_model" not in self.present:
            return None
        if not name:
            self._refuse(line, "device_model", _("Le modèle est obligatoire."))
            return None
        if not manufacturer:
            return None
        key = (manufacturer.lower(), name.lower())
        model = self._models.get(key) or self.new_models.get(key)
        if model is None:
            model = self._new_model(line, manufacturer, name, pack)
            if model is None:
                return None
            self.new_models[key] = model
        if pack is not None and model.kind != DEVICE_KIND_OF_PACK[pack.kind]:
            self._refuse(
                line,
                "device_model",
                _(
                    "« %(model)s » est un appareil de type « %(kind)s » : il ne va pas dans "
                    "le type de pack « %(pack)s », qui prend des appareils de type "
                    "« %(expected)s »."
                )
                % {
                    "model": f"{model.manufacturer} {model.name}",
                    "kind": model.get_kind_display(),
                    "pack": pack.name,
                    "expected": DeviceModel.Kind(DEVICE_KIND_OF_PACK[pack.kind]).label,
                },
            )
        return model

    def _new_model(self, line, manufacturer, name, pack):
        """An unsaved device model for a make and model the stock does not know yet."""
        if pack is None:
            self._refuse(
                line,
                "device_model",
                _(
                    "Modèle inconnu : « %(manufacturer)s %(name)s ». Il sera créé avec le "
                    "type d’appareil de son type de pack, une fois celui-ci reconnu ; ou "
                    "créez-le d’abord dans Matériel et logistique › Modèles d’appareils."
                )
                % {"manufacturer": manufacturer, "name": name},
            )
            return None
        too_long = False
        for field, value in (("manufacturer", manufacturer), ("device_model", name)):
            limit = DeviceModel._meta.get_field(
                "name" if field == "device_model" else field
            ).max_length
            if len(value) > limit:
                too_long = True
                self._refuse(
                    line,
                    field,
                    _("Trop long pour un nouveau modèle : %(limit)s caractères au plus.")
                    % {"limit": limit},
                )
        if too_long:
            return None
        return DeviceModel(
            manufacturer=manufacturer, name=name, kind=DEVICE_KIND_OF_PACK[pack.kind]
        )

    def _check_erasure(self, line, record):
        given = {name: record[name] for name in ERASURE_COLUMNS if _text(record[name])}
        if not given:
            return None
        for name in ERASURE_COLUMNS:
            if name not in given:
                self._refuse(
                    line,
                    name,
                    _(
                        "Effacement incomplet : la méthode, la date et l’opérateur de "
                        "l’effacement vont ensemble."
                    ),
                )
        erased_on = None
        if "erasure_date" in given:
            erased_on = _parse_date(given["erasure_date"])
            if erased_on is None:
                self._refuse(
                    line,
                    "erasure_date",
                    _("Date « %(value)s » invalide : JJ/MM/AAAA attendu.")
                    % {"value": _text(given["erasure_date"])},
                )
        for name, field in (("erasure_method", "method"), ("erasure_operator", "operator")):
            limit = DataErasure._meta.get_field(field).max_length
            if len(_text(given.get(name))) > limit:
                self._refuse(
                    line, name, _("Trop long : %(limit)s caractères au plus.") % {"limit": limit}
                )
        if len(given) < len(ERASURE_COLUMNS) or erased_on is None:
            return None
        return (_text(given["erasure_method"]), erased_on, _text(given["erasure_operator"]))

    def _resolve_batch(self):
        """The batch the items go to: the one the form chose, or the one the file names
        (existing, or created from the file with the supplier the form or the file gives)."""
        named_line, named = self._batch_names[0] if self._batch_names else (None, "")
        for line, reference in self._batch_names[1:]:
            if reference.lower() != named.lower():
                self._refuse(
                    line,
                    "batch",
                    _(
                        "Un fichier porte un seul lot : « %(reference)s » diffère de "
                        "« %(first)s » (ligne %(line)s). Faites un fichier par lot."
                    )
                    % {"reference": reference, "first": named, "line": named_line},
                )
        if self.batch is not None:
            if named and named.lower() != self.batch.reference.lower():
                self._refuse(
                    named_line,
                    "batch",
                    _(
                        "Le fichier nomme le lot « %(named)s », le formulaire le lot "
                        "« %(chosen)s » : choisissez le même, ou laissez le choix du lot vide "
                        "pour importer dans celui du fichier."
                    )
                    % {"named": named, "chosen": self.batch.reference},
                )
            self._check_supplier(self.batch.partner)
            return
        if not named:
            self._refuse(
                1,
                "batch",
                _(
                    "Aucun lot : choisissez-le dans le formulaire, ou nommez-le dans une colonne "
                    "« lot » du fichier (il sera créé s’il n’existe pas)."
                ),
            )
            return
        existing = Batch.objects.select_related("partner").filter(reference__iexact=named).first()
        if existing is not None:
            self.batch = existing
            self._check_supplier(existing.partner)
            if self._partner is not None and self._partner != existing.partner:
                self._refuse(
                    named_line,
                    "batch",
                    _(
                        "Le lot « %(batch)s » existe déjà, fourni par « %(partner)s » et non "
                        "par « %(chosen)s » choisi dans le formulaire."
                    )
                    % {
                        "batch": existing.reference,
                        "partner": existing.partner.name,
                        "chosen": self._partner.name,
                    },
                )
            return
        limit = Batch._meta.get_field("reference").max_length
        if len(named) > limit:
            self._refuse(
                named_line,
                "batch",
                _("Référence de lot trop longue : %(limit)s caractères au plus.")
                % {"limit": limit},
            )
            return
        partner = self._partner or self._supplier_from_file()
        if partner is None:
            if not self._supplier_names:
                self._refuse(
                    named_line,
                    "batch",
                    _(
                        "Le lot « %(batch)s » n’existe pas encore : choisissez son fournisseur "
                        "dans le formulaire (ou nommez-le dans une colonne « fournisseur ») "
                        "pour le créer avec ce fichier, ou créez d’abord le lot dans Matériel "
                        "et logistique › Lots."
                    )
                    % {"batch": named},
                )
            return
        self._check_supplier(partner)
        self.batch = Batch(
            reference=named,
            partner=partner,
            received_on=self._received_on or timezone.localdate(),
            notes=_("Lot créé à l’import du fichier du fournisseur."),
        )
        self.creates_batch = True

    def _supplier_from_file(self):
        if not self._supplier_names:
            return None
        line, name = self._supplier_names[0]
        partner = Partner.objects.filter(name__iexact=name).first()
        if partner is None:
            self._need("partner", name)
            self._refuse(
                line,
                "supplier",
                _(
                    "Fournisseur inconnu : « %(name)s ». Choisissez-le dans le formulaire, ou "
                    "faites-le d’abord créer dans Réseau des centres › Partenaires."
                )
                % {"name": name},
            )
        return partner

    def _check_supplier(self, partner):
        """A ``fournisseur`` column, when the file has one, names the batch's supplier."""
        for line, name in self._supplier_names:
            if name.lower() != partner.name.lower():
                self._refuse(
                    line,
                    "supplier",
                    _(
                        "Fournisseur « %(name)s » : les matériels de ce lot viennent de "
                        "« %(partner)s »."
                    )
                    % {"name": name, "partner": partner.name},
                )


class BatchImportResult(Result):
    """An import's result with the whole file's report: ``report`` lists its problems."""

    def __init__(self, plan=None):
        super().__init__()
        self.plan = plan

    @property
    def report(self):
        """Every problem as (line, column, reason), in file order, including any error the
        database raised at the import itself (someone imported the same serial meanwhile)."""
        problems = list(self.plan.problems) if self.plan else []
        problems += [ImportProblem(1, "", str(error.error)) for error in self.base_errors]
        for number, errors in self.row_errors():
            problems += [ImportProblem(number + 1, "", str(error.error)) for error in errors]
        return problems

    def has_errors(self):
        return bool(self.plan and self.plan.problems) or super().has_errors()


class PackTypeWidget(widgets.ForeignKeyWidget):
    def __init__(self):
        super().__init__(PackType, field="name")


class ChoiceWidget(widgets.Widget):
    """Shows a choice's label (« reconditionné ») in the preview and exports."""

    def __init__(self, choices):
        self.choices = choices
        super().__init__()

    def render(self, value, obj=None, **kwargs):
        return str(dict(self.choices.choices).get(value, value or ""))


class ItemResource(resources.ModelResource):
    """Items of one batch: the batch gives the provider and the date received.

    Rows are read from the checked :class:`BatchPlan`, never looked up one by one; the
    preview (a dry run) writes nothing, the import inserts all items in bulk.
    """

    serial_number = fields.Field(attribute="serial_number", column_name=COLUMNS["serial_number"])
    asset_tag = fields.Field(attribute="asset_tag", column_name=COLUMNS["asset_tag"])
    manufacturer = fields.Field(attribute="_manufacturer", column_name=COLUMNS["manufacturer"])
    device_model = fields.Field(attribute="_device_model", column_name=COLUMNS["device_model"])
    pack_type = fields.Field(
        attribute="pack_type", column_name=COLUMNS["pack_type"], widget=PackTypeWidget()
    )
    grade = fields.Field(
        attribute="grade", column_name=COLUMNS["grade"], widget=ChoiceWidget(Grade)
    )
    provenance = fields.Field(
        attribute="provenance", column_name=COLUMNS["provenance"], widget=ChoiceWidget(Provenance)
    )
    specifications = fields.Field(attribute="specifications", column_name=COLUMNS["specifications"])
    erasure_method = fields.Field(
        attribute="_erasure_method", column_name=COLUMNS["erasure_method"]
    )
    erasure_date = fields.Field(attribute="_erasure_date", column_name=COLUMNS["erasure_date"])
    erasure_operator = fields.Field(
        attribute="_erasure_operator", column_name=COLUMNS["erasure_operator"]
    )
    batch_reference = fields.Field(attribute="_batch", column_name=COLUMNS["batch"])
    supplier = fields.Field(attribute="_supplier", column_name=COLUMNS["supplier"])

    class Meta:
        model = Item
        fields = (
            "serial_number",
            "asset_tag",
            "manufacturer",
            "device_model",
            "pack_type",
            "grade",
            "provenance",
            "specifications",
            "erasure_method",
            "erasure_date",
            "erasure_operator",
            "batch_reference",
            "supplier",
        )
        import_id_fields = ("serial_number",)
        # The plan has checked every row; the items are inserted together at the end.
        clean_model_instances = False
        skip_unchanged = False
        use_transactions = True
        use_bulk = True

    def __init__(self, batch=None, partner=None, received_on=None, by=None, **kwargs):
        super().__init__(**kwargs)
        self.chosen_batch = batch
        self.chosen_partner = partner
        self.chosen_received_on = received_on
        self.by = by
        self.plan = None
        self.dry_run = True

    def get_result_class(self):
        return BatchImportResult

    def import_data(self, dataset, dry_run=False, **kwargs):
        """Check the whole file first: a file with any problem goes no further."""
        dataset.headers = [_text(header).lower() for header in dataset.headers or []]
        self.plan = BatchPlan(
            dataset,
            batch=self.chosen_batch,
            partner=self.chosen_partner,
            received_on=self.chosen_received_on,
        )
        if self.plan.problems:
            result = BatchImportResult(self.plan)
            result.diff_headers = self.get_diff_headers()
            result.total_rows = len(dataset)
            return result
        self.dry_run = dry_run
        return super().import_data(dataset, dry_run=dry_run, **kwargs)

    def before_import(self, dataset, **kwargs):
        # Inside the import's transaction (``kwargs`` does not say whether it is a dry run).
        if not self.dry_run:
            self.plan.save_new_references()

    def after_import(self, dataset, result, **kwargs):
        # Not ModelResource's: it resets the table's id sequence to the highest id, which
        # can move it back under a concurrent insert; the import never sets ids itself.
        result.plan = self.plan

    def get_instance(self, instance_loader, row):
        # A batch brings new devices: a serial already known is an error, never an update.
        return None

    def import_instance(self, instance, row, **kwargs):
        planned = self.plan.rows[kwargs["row_number"] - 1]
        instance._blank = planned is None
        if planned is None:
            return
        batch = self.plan.batch
        instance.serial_number = planned.serial_number
        instance.asset_tag = planned.asset_tag
        instance.device_model = planned.device_model
        instance.pack_type = planned.pack_type
        instance.grade = planned.grade
        instance.provenance = planned.provenance
        instance.specifications = planned.specifications
        instance.batch = batch
        instance.provenance_partner = batch.partner
        instance.received_on = batch.received_on
        instance._erasure = planned.erasure
        # What the preview shows of the row (the diff reads the fields' attributes).
        instance._manufacturer = planned.device_model.manufacturer
        instance._device_model = planned.device_model.name
        instance._batch = batch.reference
        instance._supplier = batch.partner.name
        if planned.erasure:
            method, erased_on, operator = planned.erasure
            instance._erasure_method = method
            instance._erasure_date = erased_on.strftime("%d/%m/%Y")
            instance._erasure_operator = operator

    def skip_row(self, instance, original, row, import_validation_errors=None):
        return getattr(instance, "_blank", False)

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        items, self.create_instances = self.create_instances, []
        if dry_run or not items:
            return  # the preview writes nothing
        try:
            bulk_create_with_history(items, Item, default_user=self.by)
            DataErasure.objects.bulk_create(
                DataErasure(
                    item=item,
                    method=item._erasure[0],
                    erased_on=item._erasure[1],
                    operator=item._erasure[2],
                )
                for item in items
                if item._erasure
            )
        except Exception as error:  # noqa: BLE001 - reported as the import's error
            self.handle_import_error(result, error, raise_errors)

    # What the preview shows for each row (and what an export writes).

    def dehydrate_manufacturer(self, item):
        model = getattr(item, "device_model", None)
        return model.manufacturer if model else ""

    def dehydrate_device_model(self, item):
        model = getattr(item, "device_model", None)
        return model.name if model else ""

    def dehydrate_batch_reference(self, item):
        batch = getattr(item, "batch", None)
        return batch.reference if batch else ""

    def dehydrate_supplier(self, item):
        partner = getattr(item, "provenance_partner", None)
        return partner.name if partner else ""

    def _erasure_of(self, item):
        pending = getattr(item, "_erasure", None)
        if pending:
            return pending
        erasure = getattr(item, "erasure", None) if item.pk else None
        return (erasure.method, erasure.erased_on, erasure.operator) if erasure else None

    def dehydrate_erasure_method(self, item):
        erasure = self._erasure_of(item)
        return erasure[0] if erasure else ""

    def dehydrate_erasure_date(self, item):
        erasure = self._erasure_of(item)
        return erasure[1].strftime("%d/%m/%Y") if erasure else ""

    def dehydrate_erasure_operator(self, item):
        erasure = self._erasure_of(item)
        return erasure[2] if erasure else ""
