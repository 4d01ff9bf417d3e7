"""Hostile input on every portal form: never a 500, never a partial write, French errors.

Hypothesis fills each form's fields (read from the page's own form) with very long
strings, HTML and JavaScript, SQL fragments, unicode edge cases, negative and huge
numbers, and forged ids of another centre's objects. Each example runs in a savepoint
rolled back afterwards. A refused submission must leave every domain row as it was and
explain itself in French; an accepted one may only touch centre A's own rows.
"""

import re

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.portal.conftest import private_dir, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

NASTY = [
    "",
    " ",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE appels_application; --",
    "1 OR 1=1",
    "{{ settings.SECRET_KEY }}",
    "%(name)s %s {0}",
    "\u202e\u200b\ufeff",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🎉 ﷽",
    "\x00",
    "-1",
    "0",
    "99999999999999999999",
    "1e309",
    "NaN",
    "2012-02-30",
    "../../etc/passwd",
]
hostile_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.text(min_size=300, max_size=5000),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
)
# Django's English messages: none of them may reach a French page.
ENGLISH = re.compile(r"\b(This field|Enter a valid|Ensure this value|Select a valid|is required)\b")


def forms_of(w):
    """``(user, url)`` of each portal form of centre A, and of centre B's guessed ids."""
    return [
        (w.referent, reverse("appels:application_step", args=[w.draft.pk, "projet"])),
        (w.referent, reverse("appels:application_step", args=[w.draft.pk, "demande"])),
        (w.referent, reverse("centres:profile_edit")),
        (w.referent, reverse("centres:site_create")),
        (w.referent, reverse("centres:site_edit", args=[w.site.pk])),
        (w.referent, reverse("centres:invite")),
        (w.referent, reverse("centres:preferences")),
        (w.referent, reverse("equipements:ticket_create")),
        (w.referent, reverse("equipements:survey", args=[w.selected.pk])),
        (w.referent, reverse("appels:agreement", args=[w.selected.pk])),
        (w.referent, reverse("equipements:confirm_reception", args=[w.shipment.pk])),
        (w.other, reverse("appels:application_step", args=[w.draft.pk, "projet"])),
        (w.other, reverse("equipements:survey", args=[w.selected.pk])),
        (w.other, reverse("equipements:confirm_reception", args=[w.shipment.pk])),
    ]


def field_names(client, url):
    """The form's field names, as the page offers them (the form of the GET response)."""
    response = client.get(url)
    form = response.context.get("form") if response.context else None
    names = list(form.fields) if form is not None else []
    return names or ["title", "quantity", "serials", "name", "subject", "description"]


@pytest.mark.parametrize("index", range(14))
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_hostile_posts_never_fail_nor_write_half(client, world, db_state, index, data):  # noqa: F811
    user, url = forms_of(world)[index]
    client.force_login(user)
    names = field_names(client, url)
    values = {name: data.draw(hostile_text, label=name) for name in names}
    other_ids = [str(world.other_centre.pk), str(world.items[0].pk), "-1", "0", "999999"]
    values.update(data.draw(st.dictionaries(st.sampled_from(names), st.sampled_from(other_ids))))
    before = db_state()
    with transaction.atomic():
        response = client.post(url, values)
        after = db_state()
        transaction.set_rollback(True)

    assert response.status_code < 500, response.status_code
    assert response.status_code in (200, 302, 400, 403, 404, 405)
    if response.status_code in (400, 403, 404):
        assert after == before
    if response.status_code in (200, 400):
        page = response.content.decode()
        assert not ENGLISH.search(page), ENGLISH.search(page)
        assert "<script>alert(1)</script>" not in page
        assert "<img src=x onerror" not in page
    if user == world.other:
        assert response.status_code in (403, 404, 405)
        assert after == before
