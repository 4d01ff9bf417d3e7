"""Hostile input on every admin form and admin action: never a 500, never a partial write.

The admins are read from ``django.contrib.admin.site``, so a new one is covered as soon as
it is registered. For each add page a superuser may open, and the change page of each
model's first row, hypothesis fills every field of
the page's own form (read from the GET response) with the values of
``test_hostile_input`` (long strings, HTML and JavaScript, SQL fragments, unicode edge
cases, huge numbers), and leaves each inline's management form empty, missing or forged.
A refused submission (anything but a redirect) must leave every row as it was and explain
itself in French. Each action of each admin is then run on ids that do not exist.

Admins whose add view is closed to a superuser (``has_add_permission`` False, listed in
:data:`CLOSED_TO_ADDITIONS`: objects the services create, logs) are skipped by the add
test; their actions are still run.
Each example runs in a savepoint rolled back afterwards.
"""

import pytest
from django import forms
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from equipements import services
from tests.factories import DecisionFactory, ItemFactory, ScoreFactory, UserFactory
from tests.portal.conftest import private_dir, world  # noqa: F401 - fixtures
from tests.security.test_hostile_input import ENGLISH, NASTY, hostile_text

pytestmark = pytest.mark.django_db

ADMINS = sorted(admin.site._registry.items(), key=lambda pair: pair[0]._meta.label)
LABELS = [model._meta.label for model, _model_admin in ADMINS]
FORGED_IDS = ["999999999", "-1", "abc", "1 OR 1=1", "", "\x00", "9" * 30]
# No shrinking: an admin page posts dozens of fields, shrinking them took minutes; the
# failing example is printed as drawn.
HYPOTHESIS = settings(
    max_examples=5,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def superuser_request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def model_admin(label):
    return dict(zip(LABELS, (model_admin for _model, model_admin in ADMINS), strict=True))[label]


def url_name(model_admin, view):
    opts = model_admin.model._meta
    return f"admin:{opts.app_label}_{opts.model_name}_{view}"


@pytest.fixture
def superuser(world):  # noqa: F811
    """A superuser, with centre A's draft, selected application and shipment, a review and a
    decision as rows."""
    world.draft, world.submitted, world.selected, world.shipment, world.ticket  # noqa: B018
    # After-sales: a replacement being prepared (its carrier is editable) and a return.
    services.decide_replacement(
        world.ticket, replacement=ItemFactory(pack_type=world.ticket.item.pack_type)
    )
    ScoreFactory()  # a review with its score, on a call in review with its offer
    DecisionFactory()
    return UserFactory(is_staff=True, is_superuser=True, email="admin@example.org")


def snapshot(db_state, model):
    """The domain rows and the rows of the admin's own model (auth, axes, documents...)."""
    return db_state(), list(model._default_manager.order_by("pk").values())


def form_fields(response):
    """``{html name: form field}`` of the add page's form (multi-widgets: each part)."""
    form = response.context["adminform"].form
    fields = {}
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, forms.MultiWidget):
            for index, _sub in enumerate(widget.widgets):
                fields[f"{form.add_prefix(name)}_{index}"] = field
        else:
            fields[form.add_prefix(name)] = field
    return fields


def inline_prefixes(response):
    return [formset.formset.prefix for formset in response.context["inline_admin_formsets"]]


def test_the_add_test_skips_only_the_admins_closed_to_additions(superuser):
    request = superuser_request(superuser)
    closed = sorted(label for label in LABELS if not model_admin(label).has_add_permission(request))
    # Read-only records and generated objects: their add view answers 403 to everyone.
    assert closed == sorted(CLOSED_TO_ADDITIONS), " ".join(closed)


# Created by the services only (an allocation by the stock run, a shipment by dispatch, an
# invoice, agreement, survey answer or document by their workflow, a score by a review, a
# call offer or line with their call or application) or written by the system (logs,
# lockouts, data requests, the invoice counter).
CLOSED_TO_ADDITIONS = {
    "appels.Agreement",
    "appels.ApplicationLine",
    "appels.CallOffer",
    "appels.Score",
    "appels.SurveyAnswer",
    "axes.AccessAttempt",
    "axes.AccessFailureLog",
    "axes.AccessLog",
    "centres.AccessLog",
    "centres.DataRequest",
    "equipements.AllocatedItem",
    "equipements.Allocation",
    "equipements.Invoice",
    "equipements.InvoiceCounter",
    "equipements.SelectedApplication",
    "equipements.ItemReturn",
    "equipements.ReplacementShipment",
    "equipements.Shipment",
    "solidaire.Document",
    "solidaire.OutboxEmail",
}


@pytest.mark.parametrize("label", LABELS)
@HYPOTHESIS
@given(data=st.data())
def test_hostile_add_posts_never_fail_nor_write_half(client, superuser, db_state, label, data):
    admin_of = model_admin(label)
    if not admin_of.has_add_permission(superuser_request(superuser)):
        pytest.skip(f"{label}: no add view")
    client.force_login(superuser)
    hostile_post(client, reverse(url_name(admin_of, "add")), data, db_state, admin_of.model)


@pytest.mark.parametrize("label", LABELS)
@HYPOTHESIS
@given(data=st.data())
def test_hostile_change_posts_never_fail_nor_write_half(client, superuser, db_state, label, data):
    """The same on the change page of the model's first row, where one exists and may be
    changed (a locked or read-only object answers its page read-only: nothing to post)."""
    admin_of = model_admin(label)
    obj = admin_of.model._default_manager.order_by("pk").first()
    request = superuser_request(superuser)
    if obj is None or not admin_of.has_change_permission(request, obj):
        pytest.skip(f"{label}: no row the superuser may change")
    client.force_login(superuser)
    url = reverse(url_name(admin_of, "change"), args=[obj.pk])
    hostile_post(client, url, data, db_state, admin_of.model)


def hostile_post(client, url, data, db_state, model):
    """Post hostile values to every field of the form at ``url``; check the outcome."""
    page = client.get(url)
    assert page.status_code == 200
    if page.context.get("adminform") is None:
        return
    fields = form_fields(page)
    values, files = {}, {}
    for name, field in fields.items():
        value = data.draw(hostile_text, label=name)
        if isinstance(field, forms.FileField):
            files[name] = SimpleUploadedFile(value[:60] or "x", value.encode(), "application/pdf")
        else:
            values[name] = value
    management = st.sampled_from(["missing", "empty", "forged"])
    for prefix in inline_prefixes(page):
        kind = data.draw(management, label=prefix)
        if kind == "missing":
            continue
        for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            forged = data.draw(st.sampled_from(NASTY), label=f"{prefix}-{key}")
            values[f"{prefix}-{key}"] = "" if kind == "empty" else forged
    values["_save"] = "Enregistrer"
    before = snapshot(db_state, model)
    with transaction.atomic():
        response = client.post(url, {**values, **files})
        after = snapshot(db_state, model)
        transaction.set_rollback(True)

    assert response.status_code != 500
    assert response.status_code in (200, 302, 400, 403), response.status_code
    if response.status_code != 302:
        assert after == before, "a refused submission changed the database"
        text = response.content.decode()
        assert not ENGLISH.search(text), ENGLISH.search(text)
        assert "<script>alert(1)</script>" not in text
        assert "<img src=x onerror" not in text


@pytest.mark.parametrize("label", LABELS)
def test_admin_actions_on_forged_ids_never_fail_nor_write(client, superuser, db_state, label):
    admin_of = model_admin(label)
    actions = list(admin_of.get_actions(superuser_request(superuser)))
    if not actions:
        pytest.skip(f"{label}: no action")
    client.force_login(superuser)
    url = reverse(url_name(admin_of, "changelist"))
    for action in actions:
        for forged in FORGED_IDS:
            selection = [forged, "999999998"]  # a forged id next to one that does not exist
            before = snapshot(db_state, admin_of.model)
            with transaction.atomic():
                response = client.post(
                    url, {"action": action, "index": "0", "_selected_action": selection}
                )
                after = snapshot(db_state, admin_of.model)
                transaction.set_rollback(True)
            where = f"{label} {action} {selection!r}"
            assert response.status_code != 500, where
            assert response.status_code in (200, 302, 400), (where, response.status_code)
            assert after == before, where


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12", True), ("-3", True), (str(2**63 - 1), True), (str(2**63), False), ("1 OR 1=1", False)],
)
def test_a_posted_id_is_well_formed_only_within_the_databases_integers(value, expected):
    """A larger id cannot be bound on SQLite (``OverflowError``, a 500 before the fix)."""
    from appels.models import Call  # noqa: PLC0415
    from solidaire.admin_hardening import well_formed  # noqa: PLC0415

    assert well_formed(Call._meta.pk, value) is expected
