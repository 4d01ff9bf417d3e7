"""Every portal page × every role (pretix-style table).

- anonymous: redirected to the login page (public pages: 200);
- staff of the centre: the page (200) or the action's redirect; on referent-only pages the
  referent only (a colleague gets 403);
- staff of another centre guessing centre A's ids: 404, nothing leaks, nothing changes;
- reviewers and logistics (platform staff without a centre): 403 on centre pages.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.portal.conftest import PDF, ROLES


@dataclass(frozen=True)
class Target:
    """A portal URL of centre A: how to build it, what to post, what its staff get."""

    id: str
    url: Callable
    method: str = "get"
    data: Callable = field(default=lambda w: {})
    ok: int = 200
    ok_url: Callable | None = None  # where a successful action redirects
    referent_only: bool = False
    scoped: bool = True  # the URL names one of centre A's objects
    public: bool = False
    other: int | None = None  # what centre B's staff get on an id-less page, if not ``ok``


def step(name):
    return lambda w: reverse("appels:application_step", args=[w.draft.pk, name])


def profile_data(w):
    c = w.centre
    return {
        "name": c.name,
        "siret": c.siret,
        "fcsf_member_number": c.fcsf_member_number,
        "address": "12 rue Neuve",
        "postal_code": c.postal_code,
        "city": c.city,
        "department": c.department,
        "email": c.email,
        "phone": "02 99 00 00 00",
    }


def site_data(name="Antenne du Blosne"):
    return lambda w: {
        "name": name,
        "address": "1 boulevard de Yougoslavie",
        "postal_code": "35200",
        "city": "Rennes",
        "contact_name": "Alix Morel",
        "contact_phone": "",
        "contact_email": "",
        "is_active": "on",
    }


def follow_up(w):
    return reverse("equipements:follow_up", args=[w.selected.pk])


TARGETS = [
    Target("call_list", lambda w: reverse("appels:call_list"), public=True, scoped=False),
    Target(
        "call_detail",
        lambda w: reverse("appels:call_detail", args=[w.open_call.slug]),
        public=True,
        scoped=False,
    ),
    Target("home", lambda w: reverse("equipements:home"), public=True, scoped=False),
    Target("dashboard", lambda w: reverse("appels:dashboard"), scoped=False),
    Target(
        "application_start",
        lambda w: reverse("appels:application_start", args=[w.new_call.slug]),
        method="post",
        ok=302,
        scoped=False,
    ),
    Target("application_detail", lambda w: reverse("appels:application_detail", args=[w.draft.pk])),
    Target("step_projet", step("projet")),
    Target("step_demande", step("demande")),
    Target("step_pieces", step("pieces")),
    Target("step_recapitulatif", step("recapitulatif")),
    Target(
        "step_projet_post",
        step("projet"),
        method="post",
        data=lambda w: {
            "title": "Nouveau titre",
            "summary": "s",
            "audience": "a",
            "expected_beneficiaries": "40",
            "activities": "ateliers",
        },
        ok=302,
        ok_url=step("demande"),
    ),
    Target(
        "step_demande_post",
        step("demande"),
        method="post",
        data=lambda w: {"site": w.site.pk, f"offer_{w.open_call.offers.get().pk}": "2"},
        ok=302,
        ok_url=step("pieces"),
    ),
    Target(
        "step_pieces_post",
        step("pieces"),
        method="post",
        data=lambda w: {"file": SimpleUploadedFile("statuts.pdf", PDF, "application/pdf")},
        ok=302,
        ok_url=step("pieces"),
    ),
    Target(
        "application_submit",
        lambda w: reverse("appels:application_submit", args=[w.draft.pk]),
        method="post",
        ok=302,
        ok_url=lambda w: reverse("appels:application_detail", args=[w.draft.pk]),
    ),
    Target(
        "application_withdraw",
        lambda w: reverse("appels:application_withdraw", args=[w.submitted.pk]),
        method="post",
        ok=302,
        ok_url=lambda w: reverse("appels:application_detail", args=[w.submitted.pk]),
    ),
    Target(
        "attachment_download",
        lambda w: reverse("appels:attachment_download", args=[w.draft.pk, w.attachment.pk]),
    ),
    Target(
        "attachment_remove",
        lambda w: reverse("appels:attachment_remove", args=[w.draft.pk, w.attachment.pk]),
        method="post",
        ok=302,
        ok_url=step("pieces"),
    ),
    Target("agreement", lambda w: reverse("appels:agreement", args=[w.selected.pk])),
    Target(
        "agreement_sign",
        lambda w: reverse("appels:agreement", args=[w.selected.pk]),
        method="post",
        data=lambda w: {
            "signer_name": "Claude Bernard",
            "signer_role": "Président",
            "accept": "on",
            "document_sha256": w.agreement_pdf.sha256,
        },
        ok=302,
        ok_url=lambda w: reverse("appels:agreement", args=[w.selected.pk]),
        referent_only=True,  # or a signatory the referent named: see test_follow_up
    ),
    Target("follow_up", follow_up),
    Target("survey", lambda w: reverse("equipements:survey", args=[w.selected.pk])),
    Target(
        "survey_answer",
        lambda w: reverse("equipements:survey", args=[w.selected.pk]),
        method="post",
        data=lambda w: {
            "satisfaction": "4",
            "equipment_quality": "4",
            "ease_of_installation": "3",
            "after_sales_responsiveness": "",
            "opened_mediation_space": "on",
            "testimonial": "",
        },
        ok=302,
        ok_url=follow_up,
    ),
    Target(
        "confirm_reception",
        lambda w: reverse("equipements:confirm_reception", args=[w.shipment.pk]),
        method="post",
        data=lambda w: {"received": w.shipment_serials, "note": ""},
        ok=302,
        ok_url=lambda w: reverse("equipements:follow_up", args=[w.shipping.pk]),
    ),
    Target("invoice_detail", lambda w: reverse("equipements:invoice_detail", args=[w.invoice.pk])),
    Target("ticket_list", lambda w: reverse("equipements:ticket_list"), scoped=False),
    Target("ticket_create", lambda w: reverse("equipements:ticket_create"), scoped=False),
    Target(
        "ticket_create_post",
        lambda w: reverse("equipements:ticket_create"),
        method="post",
        data=lambda w: {
            "item": str(w.items[1].pk),
            "subject": "Écran noir",
            "description": "Ne s’allume plus.",
        },
        ok=302,
        scoped=False,
        other=400,  # centre A's item is not in centre B's list
    ),
    Target("ticket_detail", lambda w: reverse("equipements:ticket_detail", args=[w.ticket.pk])),
    Target("my_centre", lambda w: reverse("centres:my_centre"), scoped=False),
    Target(
        "profile_edit", lambda w: reverse("centres:profile_edit"), referent_only=True, scoped=False
    ),
    Target(
        "profile_edit_post",
        lambda w: reverse("centres:profile_edit"),
        method="post",
        data=profile_data,
        ok=302,
        ok_url=lambda w: reverse("centres:my_centre"),
        referent_only=True,
        scoped=False,
        other=400,  # centre A's SIRET is taken
    ),
    Target(
        "site_create", lambda w: reverse("centres:site_create"), referent_only=True, scoped=False
    ),
    Target(
        "site_create_post",
        lambda w: reverse("centres:site_create"),
        method="post",
        data=site_data(),
        ok=302,
        ok_url=lambda w: reverse("centres:my_centre"),
        referent_only=True,
        scoped=False,
    ),
    Target(
        "site_edit",
        lambda w: reverse("centres:site_edit", args=[w.site.pk]),
        referent_only=True,
    ),
    Target(
        "site_edit_post",
        lambda w: reverse("centres:site_edit", args=[w.site.pk]),
        method="post",
        data=site_data("Site renommé"),
        ok=302,
        ok_url=lambda w: reverse("centres:my_centre"),
        referent_only=True,
    ),
    Target(
        "signatories",
        lambda w: reverse("centres:signatories"),
        method="post",
        data=lambda w: {"signatories": [w.centre.memberships.get(user=w.colleague).pk]},
        ok=302,
        ok_url=lambda w: reverse("centres:my_centre"),
        referent_only=True,
        scoped=False,
        other=400,  # centre A's colleague is not among centre B's
    ),
    Target(
        "invite",
        lambda w: reverse("centres:invite"),
        method="post",
        data=lambda w: {
            "email": "nouvelle.collegue@example.org",
            "first_name": "Lou",
            "last_name": "Garnier",
            "role": "animatrice",
        },
        ok=302,
        ok_url=lambda w: reverse("centres:my_centre"),
        referent_only=True,
        scoped=False,
    ),
]


def expected_status(target, role):
    if target.public:
        return 200
    if role == "anonymous":
        return 302
    if role in ("reviewer", "logistics"):
        return 403
    if role == "other_centre":
        if target.scoped:
            return 404
        return target.other or target.ok
    if role == "colleague" and target.referent_only:
        return 403
    return target.ok


def request(client, target, w):
    url = target.url(w)
    if target.method == "post":
        return client.post(url, target.data(w))
    return client.get(url)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", TARGETS, ids=lambda p: p.id)
def test_each_role_gets_the_expected_answer(client, world, db_state, target, role):
    target.url(world)  # build centre A's objects before anyone logs in
    target.data(world)
    user = world.user(role)
    if user is not None:
        client.force_login(user)
    before = db_state() if target.method == "post" else None

    response = request(client, target, world)

    expected = expected_status(target, role)
    assert response.status_code == expected, (target.id, role, response.status_code)
    if role == "anonymous" and not target.public:
        assert response.url.startswith(reverse("centres:login") + "?next=")
    if expected == 302 and role in ("referent", "colleague") and target.ok_url:
        assert response.url == target.ok_url(world)
    own_success = expected == target.ok and role in ("referent", "colleague", "other_centre")
    if target.method == "post" and not own_success:
        assert db_state() == before, f"{role} changed data through {target.id}"
    if role == "other_centre" and not target.public and response.status_code in (200, 404):
        # A 404, or their own page: nothing of centre A on it either way.
        assert world.centre.name not in response.content.decode()


def test_the_invitation_page_redirects_get_to_my_centre(client, world):
    client.force_login(world.colleague)
    response = client.get(reverse("centres:invite"))
    assert response.status_code == 302
    assert response.url == reverse("centres:my_centre")


def test_an_unknown_step_is_a_404(client, world):
    client.force_login(world.referent)
    url = reverse("appels:application_step", args=[world.draft.pk, "inconnue"])
    assert client.get(url).status_code == 404


def test_a_draft_call_is_not_public(client, world):
    from appels.models import CallStatus  # noqa: PLC0415
    from tests.factories import CallFactory  # noqa: PLC0415

    call = CallFactory(status=CallStatus.DRAFT)
    assert client.get(reverse("appels:call_detail", args=[call.slug])).status_code == 404
    client.force_login(world.referent)
    response = client.post(reverse("appels:application_start", args=[call.slug]))
    assert response.status_code == 404
