"""Exports of the committee's ranking (CSV and XLSX) with django-import-export."""

from django.utils.translation import gettext_lazy as _
from import_export import fields, resources


class RankingResource(resources.Resource):
    """One row per ranked application (:class:`appels.ranking.RankedApplication`)."""

    rank = fields.Field(attribute="rank", column_name=_("rang"))
    centre = fields.Field(attribute="application__centre__name", column_name=_("centre"))
    siret = fields.Field(attribute="application__centre__siret", column_name=_("SIRET"))
    city = fields.Field(attribute="application__centre__city", column_name=_("commune"))
    department = fields.Field(column_name=_("département"))
    region = fields.Field(column_name=_("région"))
    title = fields.Field(attribute="application__title", column_name=_("projet"))
    requested = fields.Field(column_name=_("matériel demandé"))
    average = fields.Field(attribute="average", column_name=_("moyenne pondérée /100"))
    spread = fields.Field(attribute="spread", column_name=_("écart entre évaluateurs"))
    disagreement = fields.Field(column_name=_("désaccord"))
    reviews_done = fields.Field(attribute="reviews_done", column_name=_("évaluations rendues"))
    reviews_expected = fields.Field(
        attribute="reviews_expected", column_name=_("évaluations attendues")
    )
    status = fields.Field(column_name=_("statut"))
    granted = fields.Field(column_name=_("matériel accordé"))

    class Meta:
        export_order = (
            "rank",
            "centre",
            "siret",
            "city",
            "department",
            "region",
            "title",
            "requested",
            "average",
            "spread",
            "disagreement",
            "reviews_done",
            "reviews_expected",
            "status",
            "granted",
        )

    def dehydrate_department(self, row):
        return row.application.centre.get_department_display()

    def dehydrate_region(self, row):
        return row.application.centre.get_region_display()

    def dehydrate_requested(self, row):
        return ", ".join(
            f"{line.requested_quantity} × {line.offer.pack_type.name}" for line in row.lines
        )

    def dehydrate_granted(self, row):
        return ", ".join(
            f"{line.granted_quantity} × {line.offer.pack_type.name}"
            for line in row.lines
            if line.granted_quantity
        )

    def dehydrate_disagreement(self, row):
        return str(_("oui")) if row.disagreement else ""

    def dehydrate_status(self, row):
        return row.application.get_status_display()
