"""Login by e-mail, where each person lands, and django-axes' lockout after 5 failures."""

import pytest
from django.urls import reverse

from centres import roles
from tests.factories import PASSWORD
from tests.portal.conftest import platform_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings, staff_user, other_staff_user):
    """Every attempt checks a password: a fast hasher keeps these tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    for user in (staff_user, other_staff_user):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])


def login(client, email, password):
    return client.post(reverse("centres:login"), {"username": email, "password": password})


def test_centre_staff_land_on_their_space(client, staff_user):
    response = login(client, staff_user.email.upper(), PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("appels:dashboard")
    assert client.get(response.url).status_code == 200


def test_a_next_url_on_another_site_is_ignored(client, staff_user):
    response = client.post(
        reverse("centres:login"),
        {"username": staff_user.email, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.url == reverse("appels:dashboard")


def test_a_next_url_of_the_portal_is_followed(client, staff_user):
    target = reverse("centres:my_centre")
    response = client.post(
        reverse("centres:login"),
        {"username": staff_user.email, "password": PASSWORD, "next": target},
    )
    assert response.url == target


def test_platform_staff_land_on_the_admin(client):
    reviewer = platform_user(roles.REVIEWERS, "evaluatrice@example.org")
    reviewer.set_password(PASSWORD)
    reviewer.save(update_fields=["password"])
    response = login(client, reviewer.email, PASSWORD)
    assert response.url == reverse("admin:index")


def test_a_wrong_password_gets_a_french_message(client, staff_user):
    response = login(client, staff_user.email, "pas-le-bon")
    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    assert error.startswith("Saisissez un")
    assert "_auth_user_id" not in client.session


def test_five_wrong_passwords_show_the_locked_out_page(client, staff_user):
    for _ in range(4):
        assert login(client, staff_user.email, "pas-le-bon").status_code == 200

    locked = login(client, staff_user.email, "pas-le-bon")

    assert locked.status_code == 429
    assert "Trop de tentatives de connexion" in locked.content.decode()
    assert "Mot de passe oublié" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_right_password_is_refused_during_the_cool_off(client, staff_user):
    from axes.models import AccessAttempt  # noqa: PLC0415

    for _ in range(5):
        login(client, staff_user.email, "pas-le-bon")

    still = login(client, staff_user.email, PASSWORD)

    assert list(AccessAttempt.objects.values_list("username", flat=True)) == [staff_user.email]
    assert still.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_lockout_is_per_email(client, staff_user, other_staff_user):
    for _ in range(5):
        login(client, staff_user.email, "pas-le-bon")

    typo = login(client, other_staff_user.email, "une-faute-de-frappe")

    assert typo.status_code == 200  # an ordinary error, not the locked-out page
    assert login(client, other_staff_user.email, PASSWORD).url == reverse("appels:dashboard")


def test_no_lockout_is_left_over_from_another_test(client, staff_user):
    """Attempts live in the database, rolled back after each test."""
    from axes.models import AccessAttempt  # noqa: PLC0415

    assert not AccessAttempt.objects.exists()
    assert login(client, staff_user.email, PASSWORD).status_code == 302
