"""The portal's application pages read only what they show, in a fixed number of queries."""

import pytest
from django.urls import reverse

from appels.models import ApplicationStatus
from tests.factories import ApplicationFactory, ApplicationLineFactory, CallOfferFactory

pytestmark = pytest.mark.django_db

# session, user, membership with its centre, the application with its call, centre and site
BASE = 4


@pytest.fixture
def draft(staff_user, centre, site, open_call):
    return ApplicationFactory(
        call=open_call, centre=centre, site=site, status=ApplicationStatus.DRAFT, lines=0
    )


def more_offers(draft, count):
    for _ in range(count):
        ApplicationLineFactory(application=draft, offer=CallOfferFactory(call=draft.call))


@pytest.mark.parametrize("offers", [1, 8])
def test_the_project_step_reads_neither_lines_nor_attachments(
    client, staff_user, draft, offers, django_assert_num_queries
):
    more_offers(draft, offers)
    client.force_login(staff_user)
    url = reverse("appels:application_step", args=[draft.pk, "projet"])
    client.get(url)
    with django_assert_num_queries(BASE):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("offers", [1, 8])
def test_the_request_step_reads_each_offer_with_its_pack_type_at_once(
    client, staff_user, draft, offers, django_assert_num_queries
):
    more_offers(draft, offers)
    client.force_login(staff_user)
    url = reverse("appels:application_step", args=[draft.pk, "demande"])
    client.get(url)
    # + lines, attachments, the centre's sites, the call's offers with their pack types
    with django_assert_num_queries(BASE + 4):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["form"].offers) == offers + 1


def test_a_refused_step_shows_each_error_next_to_its_field_for_assistive_technology(
    client, staff_user, draft
):
    offer = CallOfferFactory(call=draft.call, per_centre_cap=2)
    client.force_login(staff_user)
    url = reverse("appels:application_step", args=[draft.pk, "demande"])

    html = client.post(url, {f"offer_{offer.pk}": "5", "site": ""}).content.decode()

    for name in (f"offer_{offer.pk}", "site"):
        field_id = f"id_{name}"
        assert f'<label for="{field_id}" class="form-label requiredField">' in html
        assert f'aria-describedby="{field_id}_helptext {field_id}_error" id="{field_id}"' in html
        assert f'<div id="{field_id}_error" class="invalid-feedback">' in html
    assert 'class="form-control is-invalid" required aria-invalid="true"' in html
    assert 'class="form-select is-invalid" required aria-invalid="true"' in html
    assert "Au plus 2 pack(s) par centre." in html
    # Fields without errors are not marked.
    step = client.get(reverse("appels:application_step", args=[draft.pk, "projet"]))
    assert "is-invalid" not in step.content.decode()
    assert 'class="form-control" aria-describedby="id_title_helptext" id="id_title"' in (
        step.content.decode()
    )
