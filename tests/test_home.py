"""The public home page: open calls with their offers and figures computed from the database."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appels.models import Call, CallOffer, CallStatus, PackType

NNBSP = "\u202f"


@pytest.mark.django_db
def test_home_is_french_by_default_and_english_on_request(client):
    html = client.get(reverse("equipements:home")).content.decode()
    assert '<html lang="fr">' in html
    assert "Appels à projets ouverts" in html
    assert "Aucun appel n’est ouvert" in html
    english = client.get(reverse("equipements:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in english
    assert "Open calls for projects" in english


@pytest.mark.django_db
def test_home_has_landmarks_skip_link_and_labelled_language_choice(client):
    html = client.get(reverse("equipements:home")).content.decode()
    assert 'href="#contenu"' in html and '<main id="contenu"' in html
    assert "<header" in html and "<footer" in html and "<nav" in html
    assert '<label for="choix-langue"' in html


def make_open_call(index, pack):
    now = timezone.now()
    call = Call.objects.create(
        title=f"Appel {index}",
        slug=f"appel-{index}",
        edition=str(2030 + index),
        status=CallStatus.OPEN,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )
    CallOffer.objects.create(
        call=call,
        pack_type=pack,
        quantity_available=10,
        solidarity_price=Decimal("90"),
        per_centre_cap=2,
    )
    return call


@pytest.mark.django_db
def test_home_runs_a_constant_number_of_queries(client):
    pack = PackType.objects.create(name="Pack", kind=PackType.Kind.DESKTOP)
    make_open_call(0, pack)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("equipements:home")).status_code == 200
    for index in range(1, 8):
        make_open_call(index, pack)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("equipements:home")).status_code == 200
    assert len(one) == len(many)
    assert len(many) <= 10
