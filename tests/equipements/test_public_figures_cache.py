"""The public home's figures are cached under a key that follows the data."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appels.models import Call, SurveyAnswer
from equipements.views import public_figures

pytestmark = pytest.mark.django_db

KEY_QUERIES = 3  # published calls, allocations, survey answers


@pytest.fixture
def cached(settings):
    settings.PUBLIC_FIGURES_CACHE_SECONDS = 300
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pf"}
    }
    from django.core.cache import cache  # noqa: PLC0415

    cache.clear()


def queries_of(published):
    with CaptureQueriesContext(connection) as queries:
        figures = public_figures(published)
    return len(queries), figures


def test_figures_come_from_the_cache_until_the_data_changes(cached):
    call_command(
        "seed_scale",
        centres=30,
        calls=2,
        applications=50,
        items=200,
        shipments=10,
        invoices=12,
        stdout=open("/dev/null", "w"),  # noqa: SIM115
    )
    published = Call.objects.published()
    computed, first = queries_of(published)
    assert computed > KEY_QUERIES
    cached_count, again = queries_of(published)
    assert cached_count == KEY_QUERIES
    assert again["figures"] == first["figures"]
    assert SurveyAnswer.objects.update(is_testimonial_publishable=True)
    recomputed, _figures = queries_of(published)
    assert recomputed == computed
