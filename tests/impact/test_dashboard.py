"""The impact dashboard: who may see it, constant queries, valid accessible SVG charts,
exports that open, and the funders' report."""

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appels.models import CallStatus
from solidaire.models import Document, DocumentStatus

from .conftest import ROLES, pdf_pictures, pdf_text, user_in_role

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
ADMIN_LOGIN = reverse("admin:login")


def equip_call(build, index, *, centres=2):
    """A published call with ``centres`` equipped centres in two regions, surveyed, with an
    after-sales ticket: every family of figures has rows."""
    call = build.call(edition=f"{2000 + index}", slug=f"edition-{index}")
    for number in range(centres):
        application = build.application(call, department=("35", "59", "13")[number % 3])
        decided = date(2020, 1, 1) + timedelta(days=index)
        _allocation, items = build.equip(
            application,
            desktops=1 + number,
            fleets=number % 2,
            decided_on=decided,
            delivered_on=decided + timedelta(days=5 + number),
        )
        build.survey(application, satisfaction=3 + number % 2, opened=number == 0)
        build.ticket(items[0], application.centre, opened_on=decided, resolved_after_days=2)
    return call


def svg_charts(html):
    """The pygal charts of a page, parsed (an error if one is not well-formed XML)."""
    return [ET.fromstring(svg) for svg in re.findall(r"<svg[^>]*pygal-chart.*?</svg>", html, re.S)]


# --- permissions ------------------------------------------------------------------------


@pytest.fixture
def published_call(build):
    return equip_call(build, 1)


def impact_urls(call):
    return [
        ("get", reverse("impact:dashboard")),
        ("get", reverse("impact:call", args=[call.pk])),
        ("get", reverse("impact:export", args=["editions", "csv"])),
        ("get", reverse("impact:call_export", args=[call.pk, "regions", "xlsx"])),
        ("get", reverse("impact:report", args=[call.pk])),
        ("post", reverse("impact:archive_report", args=[call.pk])),
    ]


EXPECTED = {
    # role -> what every impact page answers
    "anonymous": "login",
    "centre_staff": "login",  # not staff: the admin sends them to its login
    "reviewer": 403,
    "logistics": 403,
    "programme_manager": "ok",
    "superuser": "ok",
}


@pytest.mark.parametrize("role", ROLES)
def test_every_impact_page_is_for_programme_managers_and_superusers(client, published_call, role):
    if role != "anonymous":
        client.force_login(user_in_role(role))
    for method, url in impact_urls(published_call):
        response = getattr(client, method)(url)
        expected = EXPECTED[role]
        if expected == "login":
            assert response.status_code == 302, (role, url)
            assert response["Location"].startswith(ADMIN_LOGIN), (role, url)
        elif expected == 403:
            assert response.status_code == 403, (role, url)
        elif method == "post":
            assert response.status_code == 302, (role, url)
            assert "/progression/" in response["Location"]
        else:
            assert response.status_code == 200, (role, url)


@pytest.mark.parametrize("role", ROLES)
def test_admin_index_links_to_the_dashboard_only_for_those_who_may_open_it(client, role):
    if role == "anonymous":
        return
    user = user_in_role(role)
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    if not user.is_staff:
        assert response.status_code == 302
        return
    shown = reverse("impact:dashboard") in response.content.decode()
    assert shown == (role in ("programme_manager", "superuser"))


def test_unknown_tables_formats_and_calls_in_preparation_are_404(manager_client, build):
    call = equip_call(build, 1)
    draft = build.call(status=CallStatus.DRAFT, slug="brouillon")
    for url in (
        reverse("impact:export", args=["nothing", "csv"]),
        reverse("impact:export", args=["editions", "pdf"]),
        reverse("impact:call", args=[draft.pk]),
        reverse("impact:call_export", args=[call.pk, "editions", "csv"]),  # not on a call page
        reverse("impact:report", args=[draft.pk]),
    ):
        assert manager_client.get(url).status_code == 404, url


# --- constant queries -------------------------------------------------------------------


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_dashboard_runs_the_same_number_of_queries_for_3_and_30_calls(manager_client, build):
    calls = [equip_call(build, index) for index in range(3)]
    url = reverse("impact:dashboard")
    manager_client.get(url)  # warm the per-process caches (content types, session)
    with_3 = count_queries(manager_client, url)
    calls += [equip_call(build, index, centres=3) for index in range(3, 30)]
    with_30 = count_queries(manager_client, url)
    print(f"dashboard queries: {with_3} with 3 calls, {with_30} with 30 calls")
    assert with_3 == with_30
    assert with_30 <= 35  # computed (no snapshot in tests): 28 for the figures
    html = manager_client.get(url).content.decode()
    for call in calls:
        assert reverse("impact:call", args=[call.pk]) in html


def test_call_page_export_and_report_run_a_constant_number_of_queries(manager_client, build):
    small = equip_call(build, 1, centres=1)
    large = equip_call(build, 2, centres=12)
    for name, args in (
        ("impact:call", []),
        ("impact:call_export", ["regions", "csv"]),
        ("impact:report", []),
    ):
        manager_client.get(reverse(name, args=[small.pk, *args]))
        counts = [
            count_queries(manager_client, reverse(name, args=[call.pk, *args]))
            for call in (small, large)
        ]
        assert counts[0] == counts[1], name


# --- the cached snapshot ----------------------------------------------------------------


@pytest.fixture
def cached(settings):
    settings.IMPACT_FIGURES_CACHE_SECONDS = 300
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ic"}
    }
    from django.core.cache import cache  # noqa: PLC0415

    cache.clear()


def centres_equipped_shown(html):
    return re.search(r'data-figure="centres_equipped">(\d+)<', html).group(1)


def test_dashboard_is_served_from_its_snapshot_until_recomputed(cached, manager_client, build):
    equip_call(build, 1, centres=2)
    url = reverse("impact:dashboard")
    first = manager_client.get(url).content.decode()
    assert centres_equipped_shown(first) == "2"
    assert "Chiffres calculés le" in first
    with CaptureQueriesContext(connection) as queries:
        again = manager_client.get(url).content.decode()
    # Session, user, groups and the admin menu's permissions: no figure is computed.
    assert len(queries) <= 6, [q["sql"][:80] for q in queries]
    assert len(svg_charts(again)) == len(svg_charts(first)) == 4
    equip_call(build, 2, centres=3)
    assert centres_equipped_shown(manager_client.get(url).content.decode()) == "2"
    response = manager_client.get(url + "?recalculer=1")
    assert response.status_code == 302
    assert response["Location"] == url
    assert centres_equipped_shown(manager_client.get(url).content.decode()) == "5"


def test_snapshot_charts_get_the_nonce_of_each_request(cached, manager_client, build):
    equip_call(build, 1)
    url = reverse("impact:dashboard")
    nonces = []
    for _ in range(2):
        response = manager_client.get(url)
        policy = response.get("Content-Security-Policy", "")
        nonce = re.search(r"'nonce-([^']+)'", policy)
        if nonce is None:
            pytest.skip("no CSP nonce in this configuration")
        html = response.content.decode()
        assert len(svg_charts(html)) == 4
        assert html.count(f'<style nonce="{nonce.group(1)}"') >= 4
        nonces.append(nonce.group(1))
    assert nonces[0] != nonces[1]


def test_dashboard_exports_read_the_snapshot_shown(cached, manager_client, build):
    equip_call(build, 1, centres=2)
    manager_client.get(reverse("impact:dashboard"))
    equip_call(build, 2, centres=3)  # after the snapshot: not on the page, not in the export
    response = manager_client.get(reverse("impact:export", args=["editions", "csv"]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["Appel"] for row in rows][-1] == "Total"
    assert rows[-1]["Centres équipés"] == "2"


def test_dashboard_works_when_the_cache_does_not_answer(cached, manager_client, build, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "solidaire.cache.TolerantRedisCache",  # as deployed
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    equip_call(build, 1, centres=2)
    response = manager_client.get(reverse("impact:dashboard"))
    assert response.status_code == 200
    assert centres_equipped_shown(response.content.decode()) == "2"


# --- charts -----------------------------------------------------------------------------


def test_dashboard_charts_are_valid_accessible_svg(manager_client, build):
    equip_call(build, 1)
    equip_call(build, 2, centres=3)
    html = manager_client.get(reverse("impact:dashboard")).content.decode()
    charts = svg_charts(html)
    assert len(charts) == 4
    for svg in charts:
        assert svg.tag == f"{SVG}svg"
        assert svg.get("role") == "img"
        title_id, desc_id = svg.get("aria-labelledby").split()
        title = svg.find(f"{SVG}title")
        desc = svg.find(f"{SVG}desc")
        assert (title.get("id"), desc.get("id")) == (title_id, desc_id)
        assert title.text and desc.text
        assert svg.find(f".//{SVG}script") is None, "charts need no JavaScript"
        assert svg.get("viewBox"), "scales with the page and on paper"
    assert "ns0:" not in html
    descriptions = " ".join(svg.find(f"{SVG}desc").text for svg in charts)
    assert "Bretagne : 2 ordinateurs" in descriptions
    assert "Hauts-de-France : 4 ordinateurs et 12 tablettes" in descriptions


def test_chart_rendering_time_is_small(build):
    """pygal renders the four dashboard charts in well under a second."""
    import time  # noqa: PLC0415

    from appels.models import Call  # noqa: PLC0415
    from equipements import charts, reporting  # noqa: PLC0415

    for index in range(5):
        equip_call(build, index, centres=3)
    data = reporting.dashboard(Call.objects.all())
    started = time.perf_counter()
    rendered = [
        charts.editions_chart(data["calls"], data["per_call"]),
        charts.regions_chart(data["regions"]),
        charts.deliveries_chart(data["series"]),
        charts.satisfaction_chart(data["survey_total"], reporting.RATING_LABELS),
    ]
    elapsed = time.perf_counter() - started
    print(f"four charts rendered in {1000 * elapsed:.0f} ms")
    assert elapsed < 2
    for chart in rendered:
        ET.fromstring(chart.svg)


# --- exports ----------------------------------------------------------------------------


def test_xlsx_export_opens_and_matches_the_figures(manager_client, build):
    call = equip_call(build, 1, centres=3)
    response = manager_client.get(reverse("impact:export", args=["editions", "xlsx"]))
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert "attachment;" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("Appel", "Candidatures reçues", "Retenues", "Centres équipés")
    line = dict(zip(header, rows[1], strict=True))
    assert line["Appel"] == f"{call.title} ({call.edition})"
    # Three centres: 1 + 2 + 3 computer packs at 90 €, one fleet of 6 tablets at 150 €.
    assert line["Ordinateurs"] == 6
    assert line["Tablettes"] == 6
    assert line["Centres équipés"] == 3
    assert Decimal(str(line["Payé par les centres (€)"])) == Decimal("690")
    assert Decimal(str(line["Valeur neuve (€)"])) == Decimal("4200")
    total = dict(zip(header, rows[-1], strict=True))
    assert total["Appel"] == "Total"
    assert total["Ordinateurs"] == 6


def test_csv_export_reads_back_with_the_same_figures(manager_client, build):
    call = equip_call(build, 1, centres=3)
    response = manager_client.get(reverse("impact:call_export", args=[call.pk, "regions", "csv"]))
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    by_region = {row["Région"]: row for row in rows}
    assert by_region["Bretagne"]["Ordinateurs"] == "1"
    assert by_region["Hauts-de-France"]["Tablettes"] == "6"
    assert by_region["Provence-Alpes-Côte d’Azur"]["Ordinateurs"] == "3"
    assert by_region["Total"]["Centres équipés"] == "3"


@pytest.mark.parametrize(
    "table",
    [
        "editions",
        "service",
        "environment",
        "pack-types",
        "regions",
        "departments",
        "survey",
        "survey-distribution",
        "deliveries",
    ],
)
def test_every_dashboard_table_exports_as_csv_and_xlsx(manager_client, build, table):
    equip_call(build, 1)
    for file_format in ("csv", "xlsx"):
        response = manager_client.get(reverse("impact:export", args=[table, file_format]))
        assert response.status_code == 200
        if file_format == "xlsx":
            sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
            assert sheet.max_row >= 2, table
        else:
            assert len(response.content.decode("utf-8-sig").splitlines()) >= 2, table


# --- the funders' report ----------------------------------------------------------------


def test_report_is_one_page_pdf_with_the_call_figures(manager_client, build):
    call = equip_call(build, 1, centres=3)
    response = manager_client.get(reverse("impact:report", args=[call.pk]))
    assert response["Content-Type"] == "application/pdf"
    data = response.content
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert call.title in text
    assert "Matériel livré par région" in text
    pictures = pdf_pictures(data, "impact-report-small")
    assert len(pictures) == 1, "the report fits on one page"


def test_archiving_the_report_goes_through_the_documents_pipeline(
    manager_client, build, settings, django_capture_on_commit_callbacks
):
    settings.DOCUMENTS_RENDER_EAGERLY = True
    call = equip_call(build, 1)
    url = reverse("impact:archive_report", args=[call.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(url)
    document = Document.objects.get(kind="impact_report", object_id=call.pk)
    assert response["Location"] == reverse("admin:solidaire_document_progress", args=[document.pk])
    assert document.status == DocumentStatus.READY, document.error
    assert document.sha256 and document.filename.endswith(".pdf")
    download = manager_client.get(reverse("admin:solidaire_document_download", args=[document.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    # Archiving again replaces the copy: still one document for the call.
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(url)
    assert Document.objects.filter(kind="impact_report", object_id=call.pk).count() == 1
    page = manager_client.get(reverse("impact:call", args=[call.pk])).content.decode()
    assert reverse("admin:solidaire_document_download", args=[document.pk]) in page


def test_reuse_factors_have_their_sources_cited_next_to_them():
    source = (settings.BASE_DIR / "solidaire" / "settings.py").read_text()
    block = source[source.index("# Environmental impact of reuse") :]
    block = block[: block.index("REUSE_IMPACT_FACTORS = {")]
    assert "ADEME" in block and "Arcep" in block
    assert set(settings.REUSE_IMPACT_FACTORS) == {"desktop", "laptop", "tablet"}
