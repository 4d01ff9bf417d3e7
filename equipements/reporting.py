"""The impact figures as tables: one definition drives the dashboard, the CSV and XLSX
exports and the funders' report, so a figure reads the same everywhere.

Every number comes from :mod:`equipements.impact` (SQL aggregates); this module only names
the columns, orders the rows and adds the total line.
"""

from dataclasses import dataclass, field

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from appels.models import Call, CallStatus, PackType, Rating
from centres.geography import DEPARTMENTS, Region
from solidaire.templatetags.solidaire import format_number

from . import impact

# Column kinds: how a value is shown (and typed in a spreadsheet).
TEXT, INT, EUROS, PERCENT, DAYS, KG, DECIMAL = (
    "text",
    "int",
    "euros",
    "percent",
    "days",
    "kg",
    "dec",
)


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    kind: str = INT


@dataclass
class Table:
    slug: str
    title: str | Promise
    columns: list
    rows: list = field(default_factory=list)
    total: dict | None = None
    note: str | Promise = ""

    @property
    def label_columns(self):
        return [c for c in self.columns if c.kind == TEXT]

    def cells(self, row):
        return [(column, row.get(column.key)) for column in self.columns]

    @property
    def body(self):
        return [{"row": row, "cells": self.cells(row)} for row in self.rows]

    @property
    def footer(self):
        return self.cells(self.total) if self.total is not None else None


# --- column sets ------------------------------------------------------------------------

EQUIPMENT_COLUMNS = [
    Column("applications_received", _("Candidatures reçues")),
    Column("applications_selected", _("Retenues")),
    Column("centres_equipped", _("Centres équipés")),
    Column("computers", _("Ordinateurs")),
    Column("tablets", _("Tablettes")),
    Column("mediation_spaces", _("Espaces de médiation ouverts")),
    Column("average_pack_price", _("Prix solidaire moyen d’un pack"), EUROS),
    Column("paid", _("Payé par les centres"), EUROS),
    Column("market_value", _("Valeur neuve"), EUROS),
    Column("saving", _("Économie pour les centres"), EUROS),
]
SERVICE_COLUMNS = [
    Column("answers", _("Réponses à l’enquête")),
    Column("satisfaction_rate", _("Satisfaits ou très satisfaits"), PERCENT),
    Column("median_delivery_days", _("Délai médian décision → livraison (jours)"), DAYS),
    Column("tickets", _("Tickets SAV")),
    Column("tickets_resolved", _("Tickets résolus")),
    Column("median_resolution_days", _("Délai médian de résolution (jours)"), DAYS),
    Column("mean_resolution_days", _("Délai moyen de résolution (jours)"), DAYS),
]
ENVIRONMENT_COLUMNS = [
    Column("reused_devices", _("Appareils de seconde main remis")),
    Column("avoided_waste_kg", _("Déchets électroniques évités (kg)"), KG),
    Column("avoided_co2e_kg", _("Émissions évitées (kg CO2e)"), KG),
]
AREA_COLUMNS = [
    Column("applications_received", _("Candidatures reçues")),
    Column("applications_selected", _("Retenues")),
    Column("centres_equipped", _("Centres équipés")),
    Column("computers", _("Ordinateurs")),
    Column("tablets", _("Tablettes")),
    Column("mediation_spaces", _("Espaces de médiation ouverts")),
    Column("satisfaction_rate", _("Satisfaits"), PERCENT),
    Column("median_delivery_days", _("Délai médian de livraison (jours)"), DAYS),
    Column("avoided_co2e_kg", _("Émissions évitées (kg CO2e)"), KG),
]
CALL_COLUMN = Column("call", _("Appel"), TEXT)
RATING_LABELS = {
    "satisfaction": _("Satisfaction générale"),
    "equipment_quality": _("Qualité du matériel"),
    "ease_of_installation": _("Facilité d’installation"),
    "after_sales_responsiveness": _("Réactivité du SAV"),
}
TOTAL_LABEL = _("Total")


def dashboard_calls():
    """The calls a programme manager reports on: every call past its preparation."""
    return Call.objects.exclude(status=CallStatus.DRAFT).order_by("opens_at", "pk")


def public_calls():
    """The calls whose figures are public: results published (decided or archived)."""
    return Call.objects.published().order_by("opens_at", "pk")


def call_label(call):
    return f"{call.title} ({call.edition})"


# --- tables -----------------------------------------------------------------------------


def _per_call_table(slug, title, columns, calls, per_call, total, note=""):
    zero = impact.zero_figures()
    rows = [
        {**zero, **per_call.get(call.pk, {}), "call": call_label(call), "call_pk": call.pk}
        for call in calls
    ]
    return Table(
        slug,
        title,
        [CALL_COLUMN, *columns],
        rows,
        {"call": TOTAL_LABEL, **total},
        note,
    )


def call_tables(calls, per_call, total):
    """The three per-call tables (equipment, service quality, environment)."""
    factors = impact.reuse_factors()
    environment_note = _(
        "Estimation par appareil de seconde main remis (hors matériel neuf) : %(factors)s. "
        "Facteurs tirés des ordres de grandeur publiés par l’ADEME (Base Empreinte, étude "
        "ADEME-Arcep 2022 et étude ADEME 2022 sur les produits reconditionnés)."
    ) % {
        "factors": " ; ".join(
            f"{PackType.Kind(kind).label} {format_number(f['waste_kg'], 1)} kg, "
            f"{format_number(f['co2e_kg'])} kg CO2e"
            for kind, f in factors.items()
        )
    }
    return [
        _per_call_table(
            "editions", _("Candidatures et matériel par appel"), EQUIPMENT_COLUMNS, calls,
            per_call, total,
            _("Seul le matériel livré aux candidatures retenues compte : une candidature "
              "retirée, refusée ou en liste d’attente n’est jamais comptée comme équipée."),
        ),
        _per_call_table(
            "service", _("Satisfaction, délais et SAV par appel"), SERVICE_COLUMNS, calls,
            per_call, total,
        ),
        _per_call_table(
            "environment", _("Impact environnemental du réemploi par appel"),
            ENVIRONMENT_COLUMNS, calls, per_call, total, environment_note,
        ),
    ]  # fmt: skip


def area_table(slug, by, figures, total):
    """Figures per region or department, largest number of centres equipped first."""
    if by == "region":
        column = Column("area", _("Région"), TEXT)
        title = _("Par région")

        def label(code):
            return Region(code).label if code in Region.values else (code or "—")
    else:
        column = Column("area", _("Département"), TEXT)
        title = _("Par département")

        def label(code):
            name = DEPARTMENTS.get(code, (code or "—",))[0]
            return f"{code} – {name}" if code in DEPARTMENTS else name

    rows = [{"area": label(code), "code": code, **values} for code, values in figures.items()]
    rows.sort(
        key=lambda row: (-row["centres_equipped"], -row["applications_received"], row["area"])
    )
    return Table(slug, title, [column, *AREA_COLUMNS], rows, {"area": TOTAL_LABEL, **total})


def pack_type_table(calls, rows):
    labels = {call.pk: call_label(call) for call in calls}
    columns = [
        CALL_COLUMN,
        Column("pack_type_name", _("Type de pack"), TEXT),
        Column("kind", _("Matériel"), TEXT),
        Column("packs", _("Packs livrés")),
        Column("devices", _("Appareils")),
        Column("centres", _("Centres")),
        Column("average_price", _("Prix solidaire moyen"), EUROS),
        Column("paid", _("Payé"), EUROS),
        Column("market_value", _("Valeur neuve"), EUROS),
        Column("saving", _("Économie"), EUROS),
    ]
    table_rows = [
        {
            **row,
            "call": labels.get(row["call_id"], ""),
            "kind": PackType.Kind(row["pack_kind"]).label,
        }
        for row in rows
    ]
    return Table("pack-types", _("Matériel livré par type de pack"), columns, table_rows)


def survey_table(calls, per_call, total):
    """Per call: answers, satisfaction and the average of each rating (scale of 1 to 4)."""
    columns = [
        CALL_COLUMN,
        Column("answers", _("Réponses")),
        Column("satisfaction_rate", _("Satisfaits ou très satisfaits"), PERCENT),
        *(Column(f"{name}_average", label, DECIMAL) for name, label in RATING_LABELS.items()),
        Column("testimonials", _("Témoignages")),
        Column("publishable_testimonials", _("Publiables")),
    ]

    def flat(label, figures):
        row = {"call": label}
        if figures:
            row.update({k: v for k, v in figures.items() if k != "ratings"})
            for name in RATING_LABELS:
                row[f"{name}_average"] = figures["ratings"][name]["average"]
        return row

    rows = [{**flat(call_label(call), per_call.get(call.pk)), "call_pk": call.pk} for call in calls]
    return Table(
        "survey",
        _("Enquête de satisfaction par appel (notes moyennes sur 4)"),
        columns,
        rows,
        flat(TOTAL_LABEL, total),
    )


def survey_distribution_table(calls, per_call):
    """One line per call and question: how many answers gave each value of the scale."""
    columns = [
        CALL_COLUMN,
        Column("question", _("Question"), TEXT),
        Column("answers", _("Réponses")),
        Column("average", _("Moyenne sur 4"), DECIMAL),
        *(Column(f"rating_{value}", label) for value, label in Rating.choices),
    ]
    rows = []
    for call in calls:
        figures = per_call.get(call.pk)
        if not figures:
            continue
        for name, label in RATING_LABELS.items():
            rating = figures["ratings"][name]
            rows.append(
                {
                    "call": call_label(call),
                    "question": label,
                    "answers": rating["answers"],
                    "average": rating["average"],
                    **{f"rating_{value}": count for value, count in rating["counts"].items()},
                }
            )
    return Table("survey-distribution", _("Répartition des réponses à l’enquête"), columns, rows)


def deliveries_table(series):
    columns = [
        Column("label", _("Mois"), TEXT),
        Column("computers", _("Ordinateurs livrés")),
        Column("tablets", _("Tablettes livrées")),
        Column("devices", _("Appareils livrés")),
    ]
    rows = [{**row, "label": date_format(row["month"], "F Y")} for row in series]
    return Table("deliveries", _("Livraisons par mois"), columns, rows)


# --- what each page shows ---------------------------------------------------------------


def dashboard(calls):
    """Everything the dashboard shows for ``calls`` (a queryset), as tables and raw figures.

    About 30 queries whatever the number of calls, centres or devices.
    """
    call_list = list(calls)
    total = impact.breakdown(calls)[None]
    per_call = impact.breakdown(calls, "call")
    regions, departments = impact.area_breakdowns(calls)
    surveys = impact.survey_analytics(calls, "call")
    survey_total = impact.survey_analytics(calls, None)[None]
    series = impact.deliveries_by_month(calls)
    tables = [
        *call_tables(call_list, per_call, total),
        pack_type_table(call_list, impact.equipment_by_pack_type(calls)),
        area_table("regions", "region", regions, total),
        survey_table(call_list, surveys, survey_total),
        survey_distribution_table(call_list, surveys),
        deliveries_table(series),
        # Long (one line per department): last, after the tables read at a glance.
        area_table("departments", "department", departments, total),
    ]
    return {
        "calls": call_list,
        "total": total,
        "per_call": per_call,
        "regions": regions,
        "surveys": surveys,
        "survey_total": survey_total,
        "series": series,
        "tables": {table.slug: table for table in tables},
    }


def call_report(call):
    """Everything the page and the funders' report of one call show. Constant queries."""
    calls = Call.objects.filter(pk=call.pk)
    total = impact.breakdown(calls)[None]
    regions, departments = impact.area_breakdowns(calls)
    survey = impact.survey_analytics(calls, None)[None]
    series = impact.deliveries_by_month(calls)
    tables = [
        pack_type_table([call], impact.equipment_by_pack_type(calls)),
        area_table("regions", "region", regions, total),
        area_table("departments", "department", departments, total),
        survey_distribution_table([call], {call.pk: survey}),
        deliveries_table(series),
    ]
    testimonials = impact.testimonials(calls)
    return {
        "call": call,
        "partners": list(call.call_partners.select_related("partner")),
        "total": total,
        "regions": regions,
        "survey": survey,
        "series": series,
        "testimonials": testimonials,
        "publishable_testimonials": [t for t in testimonials if t.is_testimonial_publishable],
        "tables": {table.slug: table for table in tables},
    }
