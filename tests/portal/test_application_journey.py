"""The application journey in the portal: start, save each step, check, submit, withdraw."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from appels.models import Application, ApplicationStatus, Call
from tests.factories import ApplicationFactory, CallFactory, SiteFactory

pytestmark = pytest.mark.django_db


def step_url(application, name):
    return reverse("appels:application_step", args=[application.pk, name])


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def draft(open_call, centre, staff_user):
    return ApplicationFactory(call=open_call, centre=centre, created_by=staff_user)


@pytest.fixture
def offer(open_call):
    return open_call.offers.get()


def project_data(**overrides):
    return {
        "title": "Un atelier numérique pour tous",
        "summary": "Initiation au numérique pour les habitants du quartier.",
        "audience": "Seniors et familles",
        "expected_beneficiaries": "85",
        "activities": "Ateliers hebdomadaires",
        "opens_mediation_space": "on",
        "partners_description": "Médiathèque municipale",
        **overrides,
    }


# --- starting ---------------------------------------------------------------------------


def test_starting_twice_resumes_the_same_draft(referent_client, open_call, centre):
    url = reverse("appels:application_start", args=[open_call.slug])

    first = referent_client.post(url)
    application = Application.objects.get(call=open_call, centre=centre)
    assert application.status == ApplicationStatus.DRAFT
    assert first.url == step_url(application, "projet")
    assert "Votre brouillon est créé" in " ".join(messages_of(first))

    second = referent_client.post(url)
    assert second.url == step_url(application, "projet")
    assert Application.objects.filter(call=open_call, centre=centre).count() == 1

    detail = referent_client.get(reverse("appels:call_detail", args=[open_call.slug]))
    assert "Votre centre a déjà une candidature" in detail.content.decode()


def test_a_centre_whose_membership_lapsed_cannot_start(referent_client, open_call, centre):
    centre.membership_valid_until = timezone.localdate() - timedelta(days=1)
    centre.save()

    response = referent_client.post(reverse("appels:application_start", args=[open_call.slug]))

    assert response.url == reverse("appels:call_detail", args=[open_call.slug])
    assert any("adhésion de votre centre" in m for m in messages_of(response))
    assert not Application.objects.filter(call=open_call).exists()
    page = referent_client.get(response.url).content.decode()
    assert "Commencer ma candidature" not in page
    assert "n’est pas à jour" in page


def test_starting_after_the_deadline_is_refused(referent_client, centre):
    now = timezone.now()
    call = CallFactory(opens_at=now - timedelta(days=30), closes_at=now - timedelta(minutes=1))
    response = referent_client.post(reverse("appels:application_start", args=[call.slug]))
    assert response.url == reverse("appels:call_detail", args=[call.slug])
    assert any("date limite" in m for m in messages_of(response))
    assert not Application.objects.filter(call=call).exists()


# --- saving the steps -------------------------------------------------------------------


def test_each_step_saves_the_draft(referent_client, open_call, centre, offer):
    referent_client.post(reverse("appels:application_start", args=[open_call.slug]))
    application = Application.objects.get(call=open_call, centre=centre)
    site = SiteFactory(centre=centre, name="Antenne des Tilleuls")

    response = referent_client.post(step_url(application, "projet"), project_data())
    assert response.status_code == 302
    assert response.url == step_url(application, "demande")
    application.refresh_from_db()
    assert application.title == "Un atelier numérique pour tous"
    assert application.expected_beneficiaries == 85
    assert application.opens_mediation_space is True
    assert application.partners_description == "Médiathèque municipale"

    # "Enregistrer le brouillon" stays on the step.
    response = referent_client.post(
        step_url(application, "projet"), project_data(audience="Jeunes", rester="1")
    )
    assert response.url == step_url(application, "projet")
    application.refresh_from_db()
    assert application.audience == "Jeunes"

    response = referent_client.post(
        step_url(application, "demande"), {"site": site.pk, f"offer_{offer.pk}": "2"}
    )
    assert response.url == step_url(application, "pieces")
    application.refresh_from_db()
    assert application.site == site
    assert [(line.offer, line.requested_quantity) for line in application.lines.all()] == [
        (offer, 2)
    ]

    # Coming back shows what was saved.
    page = referent_client.get(step_url(application, "demande"))
    assert page.context["form"][f"offer_{offer.pk}"].value() == 2
    assert page.context["form"]["site"].value() == site.pk
    recap = referent_client.get(step_url(application, "recapitulatif")).content.decode()
    assert "Un atelier numérique pour tous" in recap
    assert "Antenne des Tilleuls" in recap
    assert reverse("appels:application_submit", args=[application.pk]) in recap


def test_an_invalid_project_field_keeps_what_was_typed_and_saves_nothing(
    referent_client, draft, db_state
):
    before = db_state()
    response = referent_client.post(
        step_url(draft, "projet"),
        project_data(title="Mon nouveau titre", expected_beneficiaries="beaucoup"),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Mon nouveau titre" in html  # nothing typed is lost
    assert response.context["form"].errors["expected_beneficiaries"] == [
        "Saisissez un nombre entier."
    ]
    assert db_state() == before


@pytest.mark.parametrize("value", ["0", "10000000"])
def test_expected_beneficiaries_out_of_range_are_refused(referent_client, draft, db_state, value):
    before = db_state()
    response = referent_client.post(
        step_url(draft, "projet"), project_data(expected_beneficiaries=value)
    )
    assert response.status_code == 400
    assert "expected_beneficiaries" in response.context["form"].errors
    assert db_state() == before


@pytest.mark.parametrize(
    ("quantity", "message"),
    [("4", "Au plus 3 pack(s) par centre."), ("-1", "La quantité ne peut pas être négative.")],
    ids=["over_cap", "negative"],
)
def test_a_quantity_out_of_bounds_is_refused_next_to_the_field(
    referent_client, draft, offer, db_state, quantity, message
):
    before = db_state()
    response = referent_client.post(
        step_url(draft, "demande"), {"site": draft.site_id, f"offer_{offer.pk}": quantity}
    )
    assert response.status_code == 400
    assert response.context["form"].errors[f"offer_{offer.pk}"] == [message]
    html = response.content.decode()
    field_at = html.index(f'id="id_offer_{offer.pk}"')
    assert message.replace("’", "&#x27;") in html[field_at:] or message in html[field_at:]
    assert f'value="{quantity}"' in html  # still there to correct
    assert db_state() == before


def test_more_packs_than_the_offer_has_is_refused_next_to_the_field(
    referent_client, draft, offer, db_state
):
    offer.quantity_available = 2
    offer.save()
    before = db_state()
    response = referent_client.post(
        step_url(draft, "demande"), {"site": draft.site_id, f"offer_{offer.pk}": "3"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors[f"offer_{offer.pk}"] == [
        "Seuls 2 pack(s) sont proposés."
    ]
    assert db_state() == before


def test_asking_for_nothing_is_refused(referent_client, draft, offer, db_state):
    before = db_state()
    response = referent_client.post(
        step_url(draft, "demande"), {"site": draft.site_id, f"offer_{offer.pk}": "0"}
    )
    assert response.status_code == 400
    assert "Indiquez au moins un pack demandé." in response.context["form"].non_field_errors()
    assert db_state() == before


def test_a_site_of_another_centre_is_refused(referent_client, draft, offer, other_centre, db_state):
    foreign = SiteFactory(centre=other_centre)
    before = db_state()
    response = referent_client.post(
        step_url(draft, "demande"), {"site": foreign.pk, f"offer_{offer.pk}": "1"}
    )
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in str(response.context["form"].errors["site"])
    assert foreign.name not in response.content.decode()
    assert db_state() == before


# --- checking and submitting ------------------------------------------------------------


def test_the_recap_lists_the_missing_fields_and_submit_is_refused(
    referent_client, open_call, centre
):
    draft = ApplicationFactory(
        call=open_call, centre=centre, title="", summary="  ", site=None, lines=0
    )
    recap = referent_client.get(step_url(draft, "recapitulatif"))
    html = recap.content.decode()
    assert recap.status_code == 200
    missing = recap.context["missing"]
    assert missing.startswith("Il manque des informations")
    for label in ("titre du projet", "résumé du projet", "site de réception"):
        assert label in missing
    assert missing in html
    assert reverse("appels:application_submit", args=[draft.pk]) not in html

    response = referent_client.post(reverse("appels:application_submit", args=[draft.pk]))
    assert response.url == step_url(draft, "recapitulatif")
    assert any(m.startswith("Il manque des informations") for m in messages_of(response))
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.DRAFT
    assert draft.submitted_at is None


def test_submitting_records_it_and_sends_the_acknowledgement(
    referent_client, draft, staff_user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = referent_client.post(reverse("appels:application_submit", args=[draft.pk]))

    assert response.url == reverse("appels:application_detail", args=[draft.pk])
    assert any("Votre candidature est déposée" in m for m in messages_of(response))
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.SUBMITTED
    assert draft.submitted_at is not None
    assert [m.to for m in mailoutbox] == [[staff_user.email]]
    assert "Candidature reçue" in mailoutbox[0].subject
    assert draft.centre.name in mailoutbox[0].body
    # A submitted application is no longer edited through the steps.
    step = referent_client.get(step_url(draft, "projet"))
    assert step.url == reverse("appels:application_detail", args=[draft.pk])
    detail = referent_client.get(step.url).content.decode()
    assert "Déposée" in detail


def test_a_double_submit_is_one_submission(
    referent_client, draft, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse("appels:application_submit", args=[draft.pk])
    with django_capture_on_commit_callbacks(execute=True):
        referent_client.post(url)
    draft.refresh_from_db()
    first_time = draft.submitted_at

    with django_capture_on_commit_callbacks(execute=True):
        second = referent_client.post(url)

    assert second.status_code == 302
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.SUBMITTED
    assert draft.submitted_at == first_time
    assert len(mailoutbox) == 1


def test_after_the_deadline_submit_is_refused_and_the_draft_stays_readable(
    referent_client, draft, db_state
):
    Call.objects.filter(pk=draft.call_id).update(closes_at=timezone.now() - timedelta(hours=1))
    before = db_state()

    response = referent_client.post(reverse("appels:application_submit", args=[draft.pk]))
    assert response.url == step_url(draft, "recapitulatif")
    assert any("date limite" in m for m in messages_of(response))
    assert db_state() == before

    detail = referent_client.get(reverse("appels:application_detail", args=[draft.pk]))
    assert detail.status_code == 200
    assert draft.title in detail.content.decode()
    assert "date limite" in detail.content.decode()
    for name in ("projet", "demande", "pieces", "recapitulatif"):
        page = referent_client.get(step_url(draft, name))
        html = page.content.decode()
        assert page.status_code == 200
        assert page.context["editable"] is False
        assert draft.title in html
        assert 'enctype="multipart/form-data"' not in html  # read-only: no form
        assert reverse("appels:application_submit", args=[draft.pk]) not in html

    response = referent_client.post(step_url(draft, "projet"), project_data(title="Trop tard"))
    assert response.url == reverse("appels:application_detail", args=[draft.pk])
    assert db_state() == before


# --- withdrawing ------------------------------------------------------------------------


def test_withdrawing_a_submitted_application(referent_client, centre, staff_user):
    call = CallFactory()
    application = ApplicationFactory(call=call, centre=centre, status=ApplicationStatus.SUBMITTED)

    response = referent_client.post(reverse("appels:application_withdraw", args=[application.pk]))

    assert response.url == reverse("appels:application_detail", args=[application.pk])
    assert "Votre candidature est retirée." in messages_of(response)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    assert application.withdrawn_at is not None
    again = referent_client.post(reverse("appels:application_withdraw", args=[application.pk]))
    assert any("impossible" in m for m in messages_of(again))


def test_withdrawing_a_draft(referent_client, draft):
    response = referent_client.post(reverse("appels:application_withdraw", args=[draft.pk]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.WITHDRAWN
