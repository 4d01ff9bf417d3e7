"""The public home's figures are cached under a key that follows the data; its content is
served as rendered for a minute at most."""

import os
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appels.models import Call, SurveyAnswer
from equipements.views import public_figures, public_impact
from solidaire.cache import public_content_seconds

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


def seed_small_scale():
    """A few calls with deliveries and survey answers, from the national-scale generator."""
    call_command(
        "seed_scale",
        centres=30,
        calls=2,
        applications=50,
        items=200,
        shipments=10,
        invoices=12,
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )


def queries_of(published):
    with CaptureQueriesContext(connection) as queries:
        figures = public_figures(published)
    return len(queries), figures


def test_figures_come_from_the_cache_until_the_data_changes(cached):
    seed_small_scale()
    published = Call.objects.published()
    computed, first = queries_of(published)
    assert computed > KEY_QUERIES
    cached_count, again = queries_of(published)
    assert cached_count == KEY_QUERIES
    assert again["figures"] == first["figures"]
    assert SurveyAnswer.objects.update(is_testimonial_publishable=True)
    recomputed, _figures = queries_of(published)
    assert recomputed == computed


def test_impact_section_is_rendered_once_per_state_of_the_data(cached):
    seed_small_scale()
    published = Call.objects.published()
    with CaptureQueriesContext(connection) as computed:
        first = public_impact(published)
    with CaptureQueriesContext(connection) as again:
        second = public_impact(published)
    assert len(again) == KEY_QUERIES < len(computed)
    assert second == first and 'data-figure="computers"' in first
    assert SurveyAnswer.objects.update(is_testimonial_publishable=True)
    with CaptureQueriesContext(connection) as recomputed:
        public_impact(published)
    assert len(recomputed) == len(computed)


def test_home_content_is_served_as_rendered_for_a_minute(cached, client, settings):
    from django.urls import reverse  # noqa: PLC0415

    assert public_content_seconds() == 60
    settings.PUBLIC_FIGURES_CACHE_SECONDS = 30
    assert public_content_seconds() == 30
    settings.HOME_CACHE_SECONDS = 0
    assert public_content_seconds() == 0
    settings.HOME_CACHE_SECONDS = 60

    assert_open_calls_served_as_rendered(client, reverse("equipements:home"))
    from django.core.cache import cache  # noqa: PLC0415

    cache.clear()  # the minute is over
    assert "Appel ouvert depuis" in client.get(reverse("equipements:home")).content.decode()


def assert_open_calls_served_as_rendered(client, url):
    """The open calls on ``url`` come from the cache: no query, and a call opened since is
    not listed yet."""
    from tests.factories import CallFactory  # noqa: PLC0415

    CallFactory(title="Appel déjà ouvert")
    assert "Appel déjà ouvert" in client.get(url).content.decode()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert len(queries) == 0
    assert "Appel déjà ouvert" in response.content.decode()
    CallFactory(title="Appel ouvert depuis")
    assert "Appel ouvert depuis" not in client.get(url).content.decode()


def test_open_calls_are_served_as_rendered_for_a_minute_to_visitors_only(cached, client):
    from django.urls import reverse  # noqa: PLC0415

    from tests.factories import CentreFactory, staff_of  # noqa: PLC0415

    url = reverse("appels:call_list")
    assert_open_calls_served_as_rendered(client, url)
    # Centre staff read their centre's eligibility: never the visitors' cached list, and
    # never cached for the next visitor either.
    client.force_login(staff_of(CentreFactory())[0])
    own = client.get(url).content.decode()
    assert "Appel ouvert depuis" in own and "Votre centre peut candidater" in own
    client.logout()
    visitor = client.get(url).content.decode()
    assert "Appel ouvert depuis" not in visitor and "Votre centre peut" not in visitor
    from django.core.cache import cache  # noqa: PLC0415

    cache.clear()  # the minute is over
    assert "Appel ouvert depuis" in client.get(url).content.decode()


def test_cached_home_charts_get_the_nonce_of_each_request(cached, client):
    seed_small_scale()
    from django.urls import reverse  # noqa: PLC0415

    nonces = set()
    for _ in range(2):
        response = client.get(reverse("equipements:home"))
        nonce = re.search(r"'nonce-([^']+)'", response.get("Content-Security-Policy", ""))
        if nonce is None:
            pytest.skip("no CSP nonce in this configuration")
        html = response.content.decode()
        assert html.count("pygal-chart") >= 2
        assert f'<style nonce="{nonce.group(1)}"' in html
        nonces.add(nonce.group(1))
    assert len(nonces) == 2
