"""Platform roles are groups whose permissions follow ROLE_PERMISSIONS after every migrate."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission

from centres import roles
from centres.models import User


def group_perms(name):
    return {
        f"{app_label}.{codename}"
        for app_label, codename in Group.objects.get(name=name).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name", [roles.PROGRAMME_MANAGERS, roles.REVIEWERS, roles.LOGISTICS])
def test_after_migrate_each_role_group_has_exactly_its_permissions(name):
    assert group_perms(name) == set(roles.ROLE_PERMISSIONS[name])


def test_role_names_are_the_french_group_names():
    assert roles.PROGRAMME_MANAGERS == "Chargés de programme"
    assert roles.REVIEWERS == "Évaluateurs"
    assert roles.LOGISTICS == "Logistique"
    assert set(roles.ROLE_PERMISSIONS) == {"Chargés de programme", "Évaluateurs", "Logistique"}


def test_invoices_are_never_changed_nor_deleted_by_any_role():
    for perms in roles.ROLE_PERMISSIONS.values():
        assert "equipements.change_invoice" not in perms
        assert "equipements.delete_invoice" not in perms


def test_role_permissions_match_the_brief():
    managers = set(roles.ROLE_PERMISSIONS[roles.PROGRAMME_MANAGERS])
    assert {"appels.change_call", "appels.delete_decision", "centres.add_centre"} <= managers
    assert {"centres.view_user", "centres.add_user", "centres.change_user"} <= managers
    assert "centres.delete_user" not in managers
    assert "equipements.view_item" in managers and "equipements.change_item" not in managers
    reviewers = set(roles.ROLE_PERMISSIONS[roles.REVIEWERS])
    assert {"appels.change_review", "appels.change_score", "appels.view_application"} <= reviewers
    assert "appels.change_application" not in reviewers
    assert not {p for p in reviewers if p.startswith(("equipements.", "centres."))}
    logistics = set(roles.ROLE_PERMISSIONS[roles.LOGISTICS])
    assert {"equipements.delete_shipment", "equipements.add_invoice"} <= logistics
    assert {"appels.add_packtype", "appels.change_packtype", "centres.view_site"} <= logistics
    assert "appels.change_application" not in logistics


@pytest.mark.django_db
def test_sync_is_idempotent_and_restores_drifted_permissions():
    reviewers = Group.objects.get(name=roles.REVIEWERS)
    reviewers.permissions.add(Permission.objects.get(codename="delete_invoice"))
    Group.objects.get(name=roles.LOGISTICS).delete()

    roles.sync_roles()
    roles.sync_roles()

    assert Group.objects.filter(name__in=roles.ROLE_PERMISSIONS).count() == 3
    for name, perms in roles.ROLE_PERMISSIONS.items():
        assert group_perms(name) == set(perms)


@pytest.mark.django_db
def test_unknown_permission_is_refused(monkeypatch):
    monkeypatch.setitem(roles.ROLE_PERMISSIONS, roles.REVIEWERS, ["appels.fly_call"])
    with pytest.raises(LookupError, match="appels.fly_call"):
        roles.sync_roles()


@pytest.mark.django_db
def test_helpers_follow_group_membership():
    manager = User.objects.create_user(email="chargee@example.org", is_staff=True)
    manager.groups.add(Group.objects.get(name=roles.PROGRAMME_MANAGERS))
    reviewer = User.objects.create_user(email="evaluateur@example.org", is_staff=True)
    reviewer.groups.add(Group.objects.get(name=roles.REVIEWERS))
    logistician = User.objects.create_user(email="entrepot@example.org", is_staff=True)
    logistician.groups.add(Group.objects.get(name=roles.LOGISTICS))
    centre_staff = User.objects.create_user(email="centre@example.org")

    assert roles.is_programme_manager(manager)
    assert not roles.is_reviewer(manager) and not roles.is_logistics(manager)
    assert roles.is_reviewer(reviewer) and not roles.is_programme_manager(reviewer)
    assert roles.is_logistics(logistician) and not roles.is_reviewer(logistician)
    for check in (roles.is_programme_manager, roles.is_reviewer, roles.is_logistics):
        assert not check(centre_staff)


@pytest.mark.django_db
def test_superuser_holds_every_role_and_inactive_or_anonymous_none():
    boss = User.objects.create_superuser(email="admin@example.org", password="x")
    former = User.objects.create_user(email="ancien@example.org", is_active=False)
    former.groups.add(Group.objects.get(name=roles.PROGRAMME_MANAGERS))

    for check in (roles.is_programme_manager, roles.is_reviewer, roles.is_logistics):
        assert check(boss)
        assert not check(former)
        assert not check(AnonymousUser())


@pytest.mark.django_db
def test_group_permissions_grant_the_django_permissions():
    manager = User.objects.create_user(email="chargee@example.org", is_staff=True)
    manager.groups.add(Group.objects.get(name=roles.PROGRAMME_MANAGERS))
    manager = User.objects.get(pk=manager.pk)
    assert manager.has_perm("appels.change_call")
    assert not manager.has_perm("equipements.change_invoice")
