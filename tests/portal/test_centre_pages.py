"""The centre's own pages: profile, sites, colleagues' invitations and their first login."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from centres.geography import Region
from centres.models import Membership, Site
from tests.factories import MembershipFactory, SiteFactory

pytestmark = pytest.mark.django_db


def profile_data(centre, **overrides):
    return {
        "name": centre.name,
        "siret": centre.siret,
        "fcsf_member_number": centre.fcsf_member_number,
        "address": centre.address,
        "postal_code": centre.postal_code,
        "city": centre.city,
        "department": centre.department,
        "email": centre.email,
        "phone": centre.phone,
        **overrides,
    }


def site_data(**overrides):
    return {
        "name": "Antenne du Blosne",
        "address": "1 boulevard de Yougoslavie",
        "postal_code": "35200",
        "city": "Rennes",
        "contact_name": "Alix Morel",
        "contact_phone": "06 00 00 00 00",
        "contact_email": "alix@example.org",
        "is_active": "on",
        **overrides,
    }


def test_a_colleague_sees_the_centre_without_the_referent_controls(client, centre, site):
    colleague = MembershipFactory(centre=centre, is_referent=False).user
    client.force_login(colleague)
    html = client.get(reverse("centres:my_centre")).content.decode()
    assert centre.siret in html and site.name in html
    for referent_only in ("profile_edit", "site_create", "invite"):
        assert reverse(f"centres:{referent_only}") not in html
    assert reverse("centres:site_edit", args=[site.pk]) not in html


def test_the_referent_sees_the_controls(referent_client, site):
    html = referent_client.get(reverse("centres:my_centre")).content.decode()
    for name in ("profile_edit", "site_create", "invite"):
        assert reverse(f"centres:{name}") in html
    assert reverse("centres:site_edit", args=[site.pk]) in html


# --- profile ----------------------------------------------------------------------------


def test_the_referent_edits_the_profile(referent_client, centre):
    response = referent_client.post(
        reverse("centres:profile_edit"),
        profile_data(centre, address="12 rue Neuve", phone="02 99 12 34 56", department="44"),
    )
    assert response.url == reverse("centres:my_centre")
    centre.refresh_from_db()
    assert (centre.address, centre.phone) == ("12 rue Neuve", "02 99 12 34 56")
    assert centre.region == Region.PAYS_DE_LA_LOIRE  # follows the department
    page = referent_client.get(response.url).content.decode()
    assert "12 rue Neuve" in page
    assert "La fiche du centre est enregistrée." in page


@pytest.mark.parametrize(
    "siret", ["12345678901234", "1234", "abcdefghijklmn"], ids=["checksum", "short", "letters"]
)
def test_an_invalid_siret_is_refused_in_french_and_nothing_is_saved(
    referent_client, centre, db_state, siret
):
    before = db_state()
    response = referent_client.post(
        reverse("centres:profile_edit"), profile_data(centre, siret=siret, city="Brest")
    )
    assert response.status_code == 400
    [error] = response.context["form"].errors["siret"]
    assert "SIRET" in error
    assert error in response.content.decode().replace("&#x27;", "'")
    assert db_state() == before


def test_the_membership_dates_are_not_part_of_the_profile(referent_client, centre):
    valid_until = centre.membership_valid_until
    response = referent_client.post(
        reverse("centres:profile_edit"),
        profile_data(centre, membership_valid_until="2099-12-31"),
    )
    assert response.status_code == 302
    centre.refresh_from_db()
    assert centre.membership_valid_until == valid_until


# --- sites ------------------------------------------------------------------------------


def test_the_referent_adds_a_site(referent_client, centre):
    response = referent_client.post(reverse("centres:site_create"), site_data())
    assert response.url == reverse("centres:my_centre")
    site = Site.objects.get(name="Antenne du Blosne")
    assert site.centre == centre
    assert "Antenne du Blosne" in referent_client.get(response.url).content.decode()


def test_a_site_name_is_unique_within_the_centre(referent_client, centre, db_state):
    SiteFactory(centre=centre, name="Antenne du Blosne")
    before = db_state()
    response = referent_client.post(reverse("centres:site_create"), site_data())
    assert response.status_code == 400
    assert response.context["form"].errors
    assert db_state() == before


def test_another_centre_may_use_the_same_site_name(referent_client, other_centre, centre):
    SiteFactory(centre=other_centre, name="Antenne du Blosne")
    response = referent_client.post(reverse("centres:site_create"), site_data())
    assert response.status_code == 302
    assert Site.objects.filter(name="Antenne du Blosne").count() == 2


def test_the_referent_edits_a_site(referent_client, site):
    response = referent_client.post(
        reverse("centres:site_edit", args=[site.pk]), site_data(name="Site renommé", is_active="")
    )
    assert response.url == reverse("centres:my_centre")
    site.refresh_from_db()
    assert (site.name, site.is_active) == ("Site renommé", False)


def test_a_site_with_a_bad_postal_code_is_refused(referent_client, site, db_state):
    before = db_state()
    response = referent_client.post(
        reverse("centres:site_edit", args=[site.pk]), site_data(postal_code="3500")
    )
    assert response.status_code == 400
    assert response.context["form"].errors["postal_code"] == ["Un code postal compte 5 chiffres."]
    assert db_state() == before


# --- invitations ------------------------------------------------------------------------


def invite(client, email, django_capture_on_commit_callbacks, **extra):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("centres:invite"), {"email": email, **extra})


def link_in(message):
    return re.search(r"https?://\S+", message.body).group(0)


def test_an_invited_colleague_chooses_a_password_and_lands_on_the_dashboard(
    client, staff_user, centre, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client.force_login(staff_user)
    response = invite(
        client,
        "Lou.Garnier@Example.org",
        django_capture_on_commit_callbacks,
        first_name="Lou",
        last_name="Garnier",
        role="animatrice",
    )

    assert response.url == reverse("centres:my_centre")
    colleague = get_user_model().objects.get(email="lou.garnier@example.org")
    assert not colleague.has_usable_password()
    membership = Membership.objects.get(user=colleague)
    assert (membership.centre, membership.is_referent, membership.role) == (
        centre,
        False,
        "animatrice",
    )
    [message] = mailoutbox
    assert message.to == ["lou.garnier@example.org"]
    assert centre.name in message.subject
    link = link_in(message)
    assert link.startswith("http://testserver/compte/invitation/")

    client.logout()
    form = client.get(link, follow=True)
    assert form.status_code == 200
    assert form.context["validlink"] is True
    set_password_url = form.redirect_chain[-1][0]
    landed = client.post(
        set_password_url,
        {"new_password1": "Un-jardin-partage-2014", "new_password2": "Un-jardin-partage-2014"},
        follow=True,
    )

    assert landed.redirect_chain[-1][0] == reverse("appels:dashboard")
    assert landed.status_code == 200
    assert landed.context["user"] == colleague
    assert "Bienvenue ! Votre mot de passe est enregistré." in landed.content.decode()
    colleague.refresh_from_db()
    assert colleague.check_password("Un-jardin-partage-2014")

    # The link works once.
    client.logout()
    again = client.get(link, follow=True)
    assert again.context["validlink"] is False
    assert "Ce lien d’invitation n’est plus valable" in again.content.decode()


def test_inviting_a_colleague_already_in_the_centre_is_refused(
    referent_client, centre, mailoutbox, db_state, django_capture_on_commit_callbacks
):
    member = MembershipFactory(centre=centre).user
    before = db_state()
    response = invite(referent_client, member.email, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert response.context["invitation_form"].errors["email"] == [
        "Cette personne fait déjà partie du centre."
    ]
    assert mailoutbox == []
    assert db_state() == before


def test_an_invitation_with_a_bad_email_is_refused(
    referent_client, mailoutbox, db_state, django_capture_on_commit_callbacks
):
    before = db_state()
    response = invite(referent_client, "pas-une-adresse", django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "Saisissez une adresse de courriel valide." in str(
        response.context["invitation_form"].errors["email"]
    )
    assert mailoutbox == []
    assert db_state() == before


def test_dashboard_shows_each_applications_requested_packs_and_only_its_centres(
    referent_client, centre, other_centre
):
    from tests.factories import (  # noqa: PLC0415
        ApplicationFactory,
        ApplicationLineFactory,
        CallFactory,
        CallOfferFactory,
        PackTypeFactory,
    )

    call = CallFactory(offers__pack_type=PackTypeFactory(name="Pack poste fixe"))
    tablets = CallOfferFactory(call=call, pack_type=PackTypeFactory(name="Flotte de tablettes"))
    mine = ApplicationFactory(call=call, centre=centre, title="Espace numérique", lines=3)
    ApplicationLineFactory(application=mine, offer=tablets, requested_quantity=2)
    ApplicationFactory(call=CallFactory(), centre=centre, title="Sans matériel", lines=0)
    ApplicationFactory(call=call, centre=other_centre, title="Autre centre", lines=7)

    html = referent_client.get(reverse("appels:dashboard")).content.decode()
    row = re.search(r"Espace numérique</a></td>\s*<td>(.*?)</td>", html, re.S).group(1)
    assert row == "2 × Flotte de tablettes<br>3 × Pack poste fixe"  # by pack, as offers are
    empty = re.search(r"Sans matériel</a></td>\s*<td>(.*?)</td>", html, re.S).group(1)
    assert empty == "—"
    assert "Autre centre" not in html and "7 ×" not in html
