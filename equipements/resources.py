"""Import of a refurbisher's batch of items (CSV or XLSX) with django-import-export.

One row per device, French column headers as a refurbisher's spreadsheet has them. Every
row is checked (known model and pack type, grade, provenance, unique serial and inventory
number, erasure record complete); a file with any bad row imports nothing, and the report
gives each bad row's number and reason (``services.import_items`` and the admin's preview).
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets

from appels.models import PackType

from .models import DataErasure, DeviceModel, Grade, Item, Provenance

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
}


def _text(value):
    return "" if value is None else str(value).strip()


class DeviceModelWidget(widgets.ForeignKeyWidget):
    """A device model named by its manufacturer (own column) and model name."""

    def __init__(self):
        super().__init__(DeviceModel, field="name")

    def clean(self, value, row=None, **kwargs):
        name, manufacturer = _text(value), _text(row.get(str(COLUMNS["manufacturer"])))
        if not name:
            raise ValueError(_("Le modèle est obligatoire."))
        found = DeviceModel.objects.filter(
            manufacturer__iexact=manufacturer, name__iexact=name
        ).first()
        if found is None:
            raise ValueError(
                _(
                    "Modèle inconnu : « %(manufacturer)s %(name)s ». Ajoutez-le d’abord "
                    "dans « Modèles d’appareils »."
                )
                % {"manufacturer": manufacturer, "name": name}
            )
        return found


class PackTypeWidget(widgets.ForeignKeyWidget):
    def __init__(self):
        super().__init__(PackType, field="name")

    def clean(self, value, row=None, **kwargs):
        name = _text(value)
        found = PackType.objects.filter(name__iexact=name).first()
        if found is None:
            raise ValueError(_("Type de pack inconnu : « %(name)s ».") % {"name": name})
        return found


class ChoiceWidget(widgets.Widget):
    """A choice given by its code or its label, case-insensitively (``A``, ``reconditionné``)."""

    def __init__(self, choices, label):
        self.choices = choices
        self.label = label
        super().__init__()

    def clean(self, value, row=None, **kwargs):
        text = _text(value).lower()
        for code, name in self.choices.choices:
            if text in (str(code).lower(), str(name).lower()):
                return code
        raise ValueError(
            _("%(label)s « %(value)s » invalide : valeurs possibles %(choices)s.")
            % {
                "label": self.label,
                "value": _text(value),
                "choices": ", ".join(str(code) for code in self.choices.values),
            }
        )

    def render(self, value, obj=None, **kwargs):
        # The preview and exports show the label a person reads (« reconditionné »).
        return str(dict(self.choices.choices).get(value, value or ""))


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
    raise ValueError(_("Date « %(value)s » invalide : JJ/MM/AAAA attendu.") % {"value": text})


class ItemResource(resources.ModelResource):
    """Items of one batch: the batch gives the provider and the date received."""

    serial_number = fields.Field(attribute="serial_number", column_name=COLUMNS["serial_number"])
    asset_tag = fields.Field(attribute="asset_tag", column_name=COLUMNS["asset_tag"])
    manufacturer = fields.Field(attribute="_manufacturer", column_name=COLUMNS["manufacturer"])
    device_model = fields.Field(
        attribute="device_model", column_name=COLUMNS["device_model"], widget=DeviceModelWidget()
    )
    pack_type = fields.Field(
        attribute="pack_type", column_name=COLUMNS["pack_type"], widget=PackTypeWidget()
    )
    grade = fields.Field(
        attribute="grade",
        column_name=COLUMNS["grade"],
        widget=ChoiceWidget(Grade, gettext_lazy("Grade")),
    )
    provenance = fields.Field(
        attribute="provenance",
        column_name=COLUMNS["provenance"],
        widget=ChoiceWidget(Provenance, gettext_lazy("Provenance")),
    )
    specifications = fields.Field(attribute="specifications", column_name=COLUMNS["specifications"])
    erasure_method = fields.Field(
        attribute="_erasure_method", column_name=COLUMNS["erasure_method"]
    )
    erasure_date = fields.Field(attribute="_erasure_date", column_name=COLUMNS["erasure_date"])
    erasure_operator = fields.Field(
        attribute="_erasure_operator", column_name=COLUMNS["erasure_operator"]
    )

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
        )
        import_id_fields = ("serial_number",)
        clean_model_instances = True
        skip_unchanged = False
        use_transactions = True

    def __init__(self, batch=None, **kwargs):
        super().__init__(**kwargs)
        self.batch = batch

    def get_instance(self, instance_loader, row):
        # A batch brings new devices: a serial already known is an error, never an update.
        return None

    def before_import(self, dataset, **kwargs):
        if self.batch is None:
            raise ValidationError(_("Choisissez le lot dans lequel importer les matériels."))
        dataset.headers = [_text(header).lower() for header in dataset.headers]
        missing = [
            str(COLUMNS[name])
            for name in ("serial_number", "manufacturer", "device_model", "pack_type", "grade")
            if str(COLUMNS[name]) not in dataset.headers
        ]
        if missing:
            raise ValidationError(
                _("Colonnes manquantes : %(columns)s.") % {"columns": ", ".join(missing)}
            )
        self._serials_seen = {}
        # Serials and inventory numbers already known, in two queries for the whole file.
        serials = [_text(v).lower() for v in dataset[str(COLUMNS["serial_number"])] if v]
        self._known_serials = {
            s.lower()
            for s in Item.objects.filter(serial_number__in=self._variants(serials)).values_list(
                "serial_number", flat=True
            )
        }
        tags = []
        if str(COLUMNS["asset_tag"]) in dataset.headers:
            tags = [_text(v) for v in dataset[str(COLUMNS["asset_tag"])] if _text(v)]
        self._known_tags = set(
            Item.objects.filter(asset_tag__in=tags).values_list("asset_tag", flat=True)
        )
        self._tags_seen = {}

    @staticmethod
    def _variants(serials):
        return {variant for s in serials for variant in (s, s.upper())}

    def before_import_row(self, row, **kwargs):
        line = kwargs.get("row_number", 0) + 1  # as a spreadsheet numbers it (header = 1)
        serial = _text(row.get(str(COLUMNS["serial_number"])))
        tag = _text(row.get(str(COLUMNS["asset_tag"])))
        row[str(COLUMNS["serial_number"])] = serial
        row[str(COLUMNS["asset_tag"])] = tag or None
        if not _text(row.get(str(COLUMNS["provenance"]))):
            row[str(COLUMNS["provenance"])] = Provenance.REFURBISHED
        if not serial:
            raise ValueError(_("Le n° de série est obligatoire."))
        if serial.lower() in self._serials_seen:
            raise ValueError(
                _("N° de série « %(serial)s » en double dans le fichier (ligne %(line)s).")
                % {"serial": serial, "line": self._serials_seen[serial.lower()]}
            )
        self._serials_seen[serial.lower()] = line
        if serial.lower() in self._known_serials:
            raise ValueError(
                _("N° de série « %(serial)s » déjà enregistré dans le stock.") % {"serial": serial}
            )
        if tag:
            if tag in self._known_tags or tag in self._tags_seen:
                raise ValueError(_("N° d’inventaire « %(tag)s » déjà utilisé.") % {"tag": tag})
            self._tags_seen[tag] = line

    def import_instance(self, instance, row, **kwargs):
        instance.batch = self.batch
        instance.provenance_partner_id = self.batch.partner_id
        instance.received_on = self.batch.received_on
        super().import_instance(instance, row, **kwargs)
        instance.specifications = _text(instance.specifications)
        method = _text(row.get(str(COLUMNS["erasure_method"])))
        erased_on = row.get(str(COLUMNS["erasure_date"]))
        operator = _text(row.get(str(COLUMNS["erasure_operator"])))
        instance._erasure = None
        if method or _text(erased_on) or operator:
            if not (method and _text(erased_on) and operator):
                raise ValueError(
                    _("Effacement incomplet : méthode, date et opérateur sont nécessaires.")
                )
            instance._erasure = (method, _parse_date(erased_on), operator)

    def after_save_instance(self, instance, row, **kwargs):
        if getattr(instance, "_erasure", None) and not kwargs.get("dry_run"):
            method, erased_on, operator = instance._erasure
            DataErasure.objects.create(
                item=instance, method=method, erased_on=erased_on, operator=operator
            )

    # What the preview shows for each row (and what an export writes).

    def dehydrate_manufacturer(self, item):
        return item.device_model.manufacturer if item.device_model_id else ""

    def dehydrate_device_model(self, item):
        return item.device_model.name if item.device_model_id else ""

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
