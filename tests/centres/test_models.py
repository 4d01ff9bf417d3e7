"""The network directory: people, centres, sites, memberships and their constraints."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from centres.geography import Region
from centres.models import Centre, Membership, User
from tests.factories import (
    CentreFactory,
    MembershipFactory,
    PartnerFactory,
    SiteFactory,
    UserFactory,
    siret_for,
)

pytestmark = pytest.mark.django_db


# --- people -----------------------------------------------------------------------------


def test_user_email_is_normalised_to_lower_case_and_is_the_login():
    user = User.objects.create_user("Camille.Martin@Example.ORG", password="x-y-z-1234")
    assert user.email == "camille.martin@example.org"
    assert User.objects.get_by_natural_key("CAMILLE.MARTIN@example.org") == user
    assert user.check_password("x-y-z-1234")
    assert not user.is_staff and not user.is_superuser


def test_a_user_needs_an_email():
    with pytest.raises(ValueError):
        User.objects.create_user("", password="x")


def test_superuser_has_staff_access():
    user = User.objects.create_superuser("admin@example.org", password="x-y-z-1234")
    assert user.is_staff and user.is_superuser


def test_user_str_prefers_the_full_name():
    assert str(UserFactory(first_name="Ana", last_name="Lopez")) == "Ana Lopez"
    assert str(UserFactory(first_name="", last_name="", email="x@example.org")) == "x@example.org"


def test_email_is_unique():
    UserFactory(email="a@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="a@example.org")


# --- centres ----------------------------------------------------------------------------


def test_region_follows_the_department_on_save():
    centre = CentreFactory(department="35")
    assert centre.region == Region.BRETAGNE
    centre.department = "13"
    centre.save(update_fields=["department"])
    centre.refresh_from_db()
    assert centre.region == Region.PROVENCE_ALPES_COTE_D_AZUR


@pytest.mark.parametrize(
    ("number", "valid_until", "member"),
    [
        ("FCSF-1", date(2013, 6, 30), True),
        ("FCSF-1", date(2013, 6, 1), True),
        ("FCSF-1", date(2013, 5, 31), False),
        ("", date(2014, 1, 1), False),
        ("FCSF-1", None, False),
    ],
)
def test_membership_is_valid_until_its_last_day(number, valid_until, member):
    centre = CentreFactory(fcsf_member_number=number, membership_valid_until=valid_until)
    assert centre.is_member_on(date(2013, 6, 1)) is member


def test_is_member_uses_today():
    assert CentreFactory().is_member
    assert not CentreFactory(membership_valid_until=date.today() - timedelta(days=1)).is_member


def test_centre_siret_is_unique():
    CentreFactory(siret=siret_for(42))
    with pytest.raises(IntegrityError), transaction.atomic():
        CentreFactory(siret=siret_for(42))


def test_full_clean_refuses_a_siret_with_a_wrong_check_digit():
    centre = CentreFactory.build(siret="73282932000075")
    with pytest.raises(ValidationError) as exc:
        centre.full_clean()
    assert "siret" in exc.value.message_dict


def test_partner_siret_is_validated_too():
    partner = PartnerFactory.build(siret="12345678901234")
    with pytest.raises(ValidationError) as exc:
        partner.full_clean()
    assert "siret" in exc.value.message_dict


def test_postal_address_joins_the_parts():
    centre = CentreFactory(address="3 place du Marché", postal_code="35000", city="Rennes")
    assert centre.postal_address == "3 place du Marché, 35000 Rennes"


def test_centres_visible_to_staff_are_their_own_only(centre, other_centre, staff_user):
    assert list(Centre.objects.visible_to(staff_user)) == [centre]
    assert set(Centre.objects.visible_to(UserFactory(is_staff=True))) == {centre, other_centre}
    assert not Centre.objects.visible_to(AnonymousUser()).exists()
    assert not Centre.objects.visible_to(UserFactory()).exists()


# --- sites and memberships --------------------------------------------------------------


def test_site_names_are_unique_per_centre_only(centre, other_centre):
    SiteFactory(centre=centre, name="Annexe")
    SiteFactory(centre=other_centre, name="Annexe")
    with pytest.raises(IntegrityError), transaction.atomic():
        SiteFactory(centre=centre, name="Annexe")


def test_one_referent_per_centre(centre):
    MembershipFactory(centre=centre, is_referent=True)
    MembershipFactory(centre=centre, is_referent=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(centre=centre, is_referent=True)
    # Another centre has its own referent.
    MembershipFactory(is_referent=True)
    assert Membership.objects.filter(centre=centre, is_referent=True).count() == 1


def test_a_person_belongs_once_to_a_centre(centre):
    user = UserFactory()
    MembershipFactory(centre=centre, user=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(centre=centre, user=user)


def test_a_person_may_work_for_two_centres(centre, other_centre):
    user = UserFactory()
    MembershipFactory(centre=centre, user=user, is_referent=True)
    MembershipFactory(centre=other_centre, user=user, is_referent=True)
    assert set(Centre.objects.visible_to(user)) == {centre, other_centre}
