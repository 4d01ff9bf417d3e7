"""Who signs in the portal: the referent names signatories on *Mon centre*; the agreement
page shows the signing form to them only, with the checksum of the PDF it offers."""

import pytest
from django.urls import reverse

from appels.models import Agreement, AgreementStatus, ApplicationStatus
from centres.models import Membership
from tests.factories import (
    AgreementFactory,
    ApplicationFactory,
    MembershipFactory,
    ready_agreement_pdf,
)
from tests.portal.test_query_counts import assert_constant, measure

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def agreement(centre, site):
    application = ApplicationFactory(centre=centre, site=site, status=ApplicationStatus.SELECTED)
    agreement = AgreementFactory(application=application)
    agreement.pdf_checksum = ready_agreement_pdf(agreement).sha256
    return agreement


def page_url(agreement):
    return reverse("appels:agreement", args=[agreement.application.pk])


def post_signature(client, agreement, checksum=None, **extra):
    return client.post(
        page_url(agreement),
        {
            "signer_name": "Camille Durand",
            "signer_role": "Trésorière",
            "accept": "on",
            "document_sha256": agreement.pdf_checksum if checksum is None else checksum,
        },
        **extra,
    )


def test_a_plain_member_reads_the_agreement_is_told_who_signs_and_cannot_sign(
    client, agreement, centre, staff_user, db_state
):
    member = MembershipFactory(centre=centre).user
    client.force_login(member)
    html = client.get(page_url(agreement)).content.decode()
    assert 'name="accept"' not in html
    assert "Vous ne pouvez pas signer cette convention" in html
    assert staff_user.get_full_name() in html  # the referent, named as who may sign

    before = db_state()
    assert post_signature(client, agreement).status_code == 403
    assert db_state() == before


def test_the_referent_names_a_signatory_who_then_signs(client, agreement, centre, staff_user):
    colleague = MembershipFactory(centre=centre, user__first_name="Lou", user__last_name="Garnier")
    client.force_login(staff_user)
    page = client.get(reverse("centres:my_centre")).content.decode()
    assert "Qui signe les conventions ?" in page and "Lou Garnier" in page

    response = client.post(reverse("centres:signatories"), {"signatories": [colleague.pk]})

    assert response.url == reverse("centres:my_centre")
    colleague.refresh_from_db()
    assert colleague.may_sign_agreements
    client.force_login(colleague.user)
    html = client.get(page_url(agreement)).content.decode()
    assert 'name="accept"' in html and agreement.pdf_checksum in html
    assert "Lou Garnier" in html
    response = post_signature(client, agreement, REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert (agreement.status, agreement.signed_by) == (AgreementStatus.SIGNED, colleague.user)
    assert agreement.signed_from_ip == "198.51.100.4"
    assert agreement.signed_document_sha256 == agreement.pdf_checksum


def test_a_colleague_cannot_name_signatories(client, centre, db_state):
    colleague, other = MembershipFactory(centre=centre), MembershipFactory(centre=centre)
    client.force_login(colleague.user)
    assert "Qui signe" not in client.get(reverse("centres:my_centre")).content.decode()
    before = db_state()
    response = client.post(reverse("centres:signatories"), {"signatories": [other.pk]})
    assert response.status_code == 403
    assert db_state() == before


def test_a_member_of_another_centre_is_not_a_choice(client, centre, staff_user, db_state):
    stranger = MembershipFactory()
    client.force_login(staff_user)
    before = db_state()
    response = client.post(reverse("centres:signatories"), {"signatories": [stranger.pk]})
    assert response.status_code == 400
    assert "signatories" in response.context["signatories_form"].errors
    assert db_state() == before


def test_the_signing_behind_the_proxy_records_the_clients_address(
    client, agreement, staff_user, settings
):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    client.force_login(staff_user)
    post_signature(client, agreement, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.50")
    assert Agreement.objects.get(pk=agreement.pk).signed_from_ip == "203.0.113.50"


def test_a_stale_checksum_is_refused_and_the_page_offers_the_current_one(
    client, agreement, staff_user, db_state
):
    client.force_login(staff_user)
    read = agreement.pdf_checksum
    current = ready_agreement_pdf(agreement, content=b"%PDF-1.4\n% corrected\n%%EOF\n").sha256
    before = db_state()
    response = post_signature(client, agreement, checksum=read)
    assert response.status_code == 400
    html = response.content.decode()
    assert "La convention a changé depuis que vous l’avez ouverte" in html
    assert response.context["form"]["document_sha256"].value() == current
    assert db_state() == before


def test_the_form_waits_for_the_pdf(client, centre, site, staff_user):
    application = ApplicationFactory(centre=centre, site=site, status=ApplicationStatus.SELECTED)
    agreement = AgreementFactory(application=application)  # no PDF yet
    client.force_login(staff_user)
    html = client.get(page_url(agreement)).content.decode()
    assert 'name="accept"' not in html
    assert "La convention est en cours de préparation" in html


# --- constant queries -------------------------------------------------------------------


def test_the_agreement_page_queries_do_not_grow_with_signatories(
    referent_client, agreement, centre
):
    def grow(count):
        for _ in range(count):
            MembershipFactory(centre=centre, may_sign_agreements=True)
            MembershipFactory(centre=centre)

    assert_constant(*measure(referent_client, page_url(agreement), grow))
    assert len(referent_client.last_response.context["signers"]) == 1 + 50


def test_my_centre_queries_do_not_grow_with_colleagues(referent_client, centre):
    def grow(count):
        for index in range(count):
            MembershipFactory(centre=centre, may_sign_agreements=index % 2 == 0)

    assert_constant(*measure(referent_client, reverse("centres:my_centre"), grow))
    html = referent_client.last_response.content.decode()
    assert (
        html.count('name="signatories"')
        == Membership.objects.filter(centre=centre, is_referent=False).count()
    )
