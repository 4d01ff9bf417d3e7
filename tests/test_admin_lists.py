"""Long admin lists (``solidaire.admin_lists``) write the same rows as Django's changelist:
same cells, classes, links with the list's filters, empty values; popups keep Django's."""

import re

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.urls import reverse

from appels.models import Review
from equipements.models import Item, Shipment
from solidaire.admin_lists import LongListChangeList, LongListMixin
from tests.factories import ItemFactory, ReviewFactory, ShipmentFactory, UserFactory

pytestmark = pytest.mark.django_db

LONG_LISTS = {Item: ItemFactory, Shipment: ShipmentFactory, Review: ReviewFactory}


def test_the_long_lists_are_the_ones_of_tens_of_thousands_of_rows():
    long_lists = {
        model
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, LongListMixin)
    }
    assert long_lists == set(LONG_LISTS)


def rows_html(html):
    return re.search(r"<tbody>.*</tbody>", html, re.S).group(0)


def changelist_rows(client, model, query, monkeypatch, *, own):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    model_admin = admin.site._registry[model]
    if not own:
        monkeypatch.setattr(model_admin, "get_changelist", lambda request, **kw: ChangeList)
    response = client.get(url + query)
    monkeypatch.undo()
    assert response.status_code == 200
    return response


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", list(LONG_LISTS), ids=lambda m: m._meta.model_name)
@pytest.mark.parametrize("query", ["", "?o=-1", "?o=2.1", "?_popup=1"])
def test_long_list_rows_are_djangos_rows(superuser_client, monkeypatch, model, query):
    LONG_LISTS[model].create_batch(3)
    own = changelist_rows(superuser_client, model, query, monkeypatch, own=True)
    django = changelist_rows(superuser_client, model, query, monkeypatch, own=False)
    assert isinstance(own.context["cl"], LongListChangeList)
    assert own.context["cl"].writes_own_rows is (query != "?_popup=1")
    assert rows_html(own.content.decode()) == rows_html(django.content.decode())


@pytest.mark.parametrize("model", list(LONG_LISTS), ids=lambda m: m._meta.model_name)
def test_long_list_rows_link_to_their_page_with_the_lists_filters(
    superuser_client, monkeypatch, model
):
    objects = LONG_LISTS[model].create_batch(2)
    response = changelist_rows(superuser_client, model, "?o=-1", monkeypatch, own=True)
    html = rows_html(response.content.decode())
    for obj in objects:
        change = reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk]
        )
        assert f'href="{change}?_changelist_filters=o%3D-1"' in html
    # The first linked column is the row's header cell, as in Django's list.
    assert html.count("<th ") == len(objects)
