"""With the demo data, the dashboard, its exports, the report and the public home show the
historical figures of the operation exactly."""

import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from appels.models import Call

from .conftest import pdf_pictures, pdf_text
from .test_dashboard import svg_charts

pytestmark = pytest.mark.django_db

NNBSP = "\u202f"


def figure(html, name):
    marker = f'data-figure="{name}">'
    start = html.index(marker) + len(marker)
    return html[start : html.index("<", start)]


def tablets_call():
    return Call.objects.get(slug="mcsnd-2014-tablettes")


def test_dashboard_shows_the_historical_figures(demo, manager_client):
    html = manager_client.get(reverse("impact:dashboard")).content.decode()
    assert figure(html, "computers") == f"1{NNBSP}433"
    assert figure(html, "mediation_spaces") == "97"
    assert figure(html, "tablets") == "180"
    assert "tablettes pour 30 centres, en flottes de 6" in html
    assert figure(html, "satisfaction_rate") == "95\u00a0%"
    # About 90 € a computer pack (89 € then 91 €, weighted by packs).
    price = figure(html, "average_computer_price")
    assert price.startswith("90,") and price.endswith("€")
    assert len(svg_charts(html)) == 4


def test_dashboard_tables_per_edition_match_the_history(demo, manager_client):
    from equipements import reporting  # noqa: PLC0415

    data = reporting.dashboard(reporting.dashboard_calls())
    editions = data["tables"]["editions"].rows
    rows = {row["call"].rsplit("(", 1)[1].rstrip(")"): row for row in editions}
    assert rows["2011–2012"]["computers"] + rows["2012–2013"]["computers"] == 1433
    assert rows["2014"]["tablets"] == 180
    assert rows["2014"]["centres_equipped"] == 30
    total = data["total"]
    assert total["computers"] == 1433
    assert total["tablets"] == 180
    assert total["tablet_centres"] == 30
    assert total["tablets_per_centre"] == Decimal("6.0")
    assert total["mediation_spaces"] == 97
    assert total["satisfaction_rate"] == Decimal("95")
    assert Decimal("89.50") <= total["average_computer_price"] <= Decimal("90.50")
    # Only refurbished computers count as reuse: the 2014 tablets were new.
    assert total["reused_devices"] == 1433
    assert total["avoided_waste_kg"] == 1433 * Decimal("12")


def test_xlsx_export_of_the_demo_matches_the_dashboard(demo, manager_client):
    response = manager_client.get(reverse("impact:export", args=["editions", "xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    total = dict(zip(header, rows[-1], strict=True))
    assert total["Ordinateurs"] == 1433
    assert total["Tablettes"] == 180
    assert total["Espaces de médiation ouverts"] == 97
    editions = [dict(zip(header, row, strict=True)) for row in rows[1:-1]]
    tablets = next(row for row in editions if row["Appel"].endswith("(2014)"))
    assert tablets["Centres équipés"] == 30


def test_call_page_of_the_tablet_edition(demo, manager_client):
    call = tablets_call()
    html = manager_client.get(reverse("impact:call", args=[call.pk])).content.decode()
    assert figure(html, "tablets") == "180"
    assert figure(html, "centres_equipped") == "30"
    assert "tablettes pour 30 centres, en flottes de 6" in html
    assert len(svg_charts(html)) == 3
    assert "témoignages" in html


def test_report_of_each_historical_edition_fits_one_page(demo, manager_client):
    for call in Call.objects.published().order_by("opens_at"):
        data = manager_client.get(reverse("impact:report", args=[call.pk])).content
        pictures = pdf_pictures(data, f"impact-report-{call.slug}")
        assert len(pictures) == 1, call.slug
        text = pdf_text(data)
        assert call.edition in text
    text = pdf_text(manager_client.get(reverse("impact:report", args=[tablets_call().pk])).content)
    assert "180" in text and "flottes de 6" in text


def test_home_shows_charts_and_publishable_testimonials_of_published_calls(demo, client):
    html = client.get(reverse("equipements:home")).content.decode()
    assert figure(html, "computers") == f"1{NNBSP}433"
    charts = svg_charts(html)
    assert len(charts) == 2
    descriptions = " ".join(svg.find("{http://www.w3.org/2000/svg}desc").text for svg in charts)
    assert "2011–2012 : 700 ordinateurs" in descriptions
    assert "2014 : 180 tablettes" in descriptions
    # The open call's edition is not published: not in the charts.
    open_call = Call.objects.accepting_applications().get()
    assert f"{open_call.edition} :" not in descriptions
    assert "Ce qu’en disent les centres" in html
    quotes = re.findall(r"« (.*?) »", html)
    assert quotes, "publishable testimonials are shown"
    from appels.models import SurveyAnswer  # noqa: PLC0415

    private = SurveyAnswer.objects.exclude(testimonial="").filter(is_testimonial_publishable=False)
    publishable = set(
        SurveyAnswer.objects.filter(is_testimonial_publishable=True).values_list(
            "testimonial", flat=True
        )
    )
    assert set(quotes) <= publishable
    assert private.exists()
