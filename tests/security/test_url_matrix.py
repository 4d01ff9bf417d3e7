"""Every URL of the project × every role, GET and POST with a valid CSRF token.

The URLs are read from the URLconf (the admin included), so a new page is covered as soon
as it exists: a route missing from :data:`EXPECTED` fails the test. The rules, as in
pretix's permission tests:

- logged out: the login page (302), except public pages;
- another centre's object: 404, so nothing leaks;
- a missing right: 403 (the admin redirects people without staff access to its login);
- the admin sends whoever may not see one object back to its index (302).

Each role runs every request in a savepoint rolled back afterwards, so a POST never
changes what the next request sees.
"""

import os
import re
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from appels.models import ApplicationStatus, Attachment, CallStatus, ReviewStatus
from centres import roles
from equipements.models import (
    AllocationStatus,
    ItemReturn,
    ItemStatus,
    ReplacementShipment,
    ReplacementStatus,
    ShipmentStatus,
    TicketMessage,
)
from tests.factories import (
    AgreementFactory,
    ApplicationFactory,
    CallFactory,
    CentreFactory,
    InvoiceFactory,
    ItemFactory,
    MembershipFactory,
    ReviewerFactory,
    ReviewFactory,
    ShipmentFactory,
    SupportTicketFactory,
    UserFactory,
    picked_allocation,
    put_in_shipment,
)
from tests.portal.conftest import PDF, private_dir  # noqa: F401 - fixture
from tests.security.url_matrix_expected import EXPECTED

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "staff_a",
    "referent_a",
    "staff_b",
    "reviewer",
    "reviewer_conflict",
    "manager",
    "logistics",
    "superuser",
)


def routes():
    """``(route, name)`` of every URL pattern of the project, admin included."""

    def walk(patterns, prefix="", namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace and pattern.name else None
                yield prefix + str(pattern.pattern), name or pattern.name

    return list(walk(get_resolver().url_patterns))


def past(**days):
    now = timezone.now()
    return {"opens_at": now - timedelta(days=90), "closes_at": now - timedelta(days=30), **days}


def platform(group, email):
    user = UserFactory(is_staff=True, email=email)
    user.groups.add(Group.objects.get(name=group))
    return user


class Scene:
    """Centre A with one object of every kind; centre B's staff is the intruder."""

    def __init__(self):
        self.centre = CentreFactory(name="Centre social La Passerelle")
        self.other_centre = CentreFactory(name="Centre social Les Glycines")
        self.referent_a = MembershipFactory(centre=self.centre, is_referent=True).user
        self.staff_a = MembershipFactory(centre=self.centre, is_referent=False).user
        self.staff_b = MembershipFactory(centre=self.other_centre, is_referent=True).user
        self.reviewer = ReviewerFactory(email="evaluatrice@example.org")
        self.reviewer_conflict = ReviewerFactory(email="en-conflit@example.org")
        self.manager = platform(roles.PROGRAMME_MANAGERS, "charge@example.org")
        self.logistics = platform(roles.LOGISTICS, "logistique@example.org")
        self.superuser = UserFactory(is_staff=True, is_superuser=True, email="admin@example.org")
        # An open call and A's draft with an attachment.
        self.open_call = CallFactory(slug="appel-ouvert")
        self.draft = ApplicationFactory(
            call=self.open_call, centre=self.centre, created_by=self.referent_a
        )
        self.site = self.draft.site
        name = Attachment._meta.get_field("file").storage.save(
            "applications/matrix.pdf", ContentFile(PDF)
        )
        self.attachment = Attachment.objects.create(
            application=self.draft,
            file=name,
            original_name="budget.pdf",
            content_type="application/pdf",
            size=len(PDF),
            sha256="0" * 64,
            uploaded_by=self.referent_a,
        )
        # A call in review: A's submitted application, one reviewer, one in conflict.
        self.review_call = CallFactory(
            slug="appel-en-evaluation",
            status=CallStatus.REVIEW,
            **past(review_ends_at=timezone.now() + timedelta(days=10)),
        )
        self.submitted = ApplicationFactory(
            call=self.review_call,
            centre=self.centre,
            site=self.site,
            status=ApplicationStatus.SUBMITTED,
        )
        self.review = ReviewFactory(application=self.submitted, reviewer=self.reviewer)
        self.conflict = ReviewFactory(
            application=self.submitted,
            reviewer=self.reviewer_conflict,
            status=ReviewStatus.CONFLICT,
        )
        # A published call: A selected, agreement, delivered, invoiced, a ticket.
        self.decided_call = CallFactory(slug="appel-publie", status=CallStatus.DECIDED, **past())
        self.decided_call.results_published_at = timezone.now()
        self.decided_call.save(update_fields=["results_published_at"])
        self.selected = ApplicationFactory(
            call=self.decided_call,
            centre=self.centre,
            site=self.site,
            status=ApplicationStatus.SELECTED,
        )
        self.selected.lines.update(granted_quantity=2, requested_quantity=2)
        self.allocation = picked_allocation(
            status=AllocationStatus.DELIVERED, items=2, application=self.selected
        )
        self.shipment = ShipmentFactory(site=self.site, status=ShipmentStatus.SHIPPED)
        put_in_shipment(self.allocation, self.shipment)
        self.agreement = AgreementFactory(application=self.selected)
        self.invoice = InvoiceFactory(allocation=self.allocation)
        self.item = self.allocation.lines.get().allocated_items.first().item
        self.ticket = SupportTicketFactory(centre=self.centre, item=self.item)
        # After-sales: a message with a PDF, a replacement shipped (the centre may confirm
        # it), the faulty unit's return expected.
        self.ticket_message = TicketMessage.objects.create(
            ticket=self.ticket,
            author=self.referent_a,
            from_centre=True,
            body="Voir la photo",
            attachment=ContentFile(PDF, name="photo.pdf"),
            attachment_name="photo.pdf",
            attachment_type="application/pdf",
            attachment_size=len(PDF),
            created_at=timezone.now(),
        )
        spare = ItemFactory(pack_type=self.item.pack_type, status=ItemStatus.SHIPPED)
        self.replacement = ReplacementShipment.objects.create(
            reference="REM-MATRICE-1",
            ticket=self.ticket,
            item=spare,
            site=self.site,
            status=ReplacementStatus.SHIPPED,
            carrier="Colissimo",
            created_at=timezone.now(),
            shipped_at=timezone.now(),
        )
        self.item_return = ItemReturn.objects.create(
            ticket=self.ticket, item=self.item, expected_at=timezone.now()
        )
        self.submitted_attachment = Attachment.objects.create(
            application=self.submitted,
            file=name,
            original_name="devis.pdf",
            content_type="application/pdf",
            size=len(PDF),
            sha256="1" * 64,
            uploaded_by=self.referent_a,
        )

    def user(self, role):
        return None if role == "anonymous" else getattr(self, role)

    def objects(self):
        """One object of centre A per model registered in the admin (by ``app.model``)."""
        from axes.models import AccessAttempt, AccessFailureLog
        from axes.models import AccessLog as AxesAccessLog

        from appels.models import Decision, Score, SurveyAnswer
        from centres.models import AccessLog, DataRequest
        from equipements.models import Batch, InvoiceCounter
        from solidaire.documents import DocumentKind, request_document
        from tests.factories import (
            BatchFactory,
            InvoiceCounterFactory,
            ScoreFactory,
            SurveyAnswerFactory,
        )

        criterion = self.review_call.criteria.first()
        score = Score.objects.filter(review=self.review).first() or ScoreFactory(
            review=self.review, criterion=criterion, value=3
        )
        decision, _ = Decision.objects.get_or_create(
            application=self.selected,
            defaults={"outcome": "selected", "decided_at": timezone.now()},
        )
        survey = SurveyAnswer.objects.filter(application=self.selected).first()
        survey = survey or SurveyAnswerFactory(application=self.selected)
        batch = Batch.objects.first() or BatchFactory()
        document = request_document(self.invoice, DocumentKind.INVOICE)
        attempt = AccessAttempt.objects.create(
            username="x@example.org", ip_address="10.0.0.1", user_agent="t", failures_since_start=1
        )
        log = AxesAccessLog.objects.create(
            username="x@example.org", ip_address="10.0.0.1", user_agent="t"
        )
        failure = AccessFailureLog.objects.create(
            username="x@example.org", ip_address="10.0.0.1", user_agent="t", locked_out=False
        )
        picked = self.allocation.lines.get().allocated_items.first()
        data_request = DataRequest.objects.create(user=self.staff_a, kind=DataRequest.Kind.DELETION)
        access = AccessLog.objects.create(
            user=self.manager,
            object_type="centres.centre",
            object_id=str(self.centre.pk),
            url_name="admin:centres_centre_change",
            path="/",
        )
        from solidaire.models import OutboxEmail

        email = OutboxEmail.objects.create(
            key="matrix:1", recipients=["x@example.org"], subject="Objet", body="Corps"
        )
        return {
            "solidaire.outboxemail": email,
            "equipements.selectedapplication": self.selected,
            "centres.datarequest": data_request,
            "centres.accesslog": access,
            "auth.group": Group.objects.get(name=roles.REVIEWERS),
            "axes.accessattempt": attempt,
            "axes.accesslog": log,
            "axes.accessfailurelog": failure,
            "solidaire.document": document,
            "centres.user": self.referent_a,
            "centres.partner": self.open_call.call_partners.first().partner,
            "centres.centre": self.centre,
            "centres.site": self.site,
            "centres.membership": self.referent_a.memberships.get(),
            "appels.packtype": self.item.pack_type,
            "appels.call": self.review_call,
            "appels.calloffer": self.review_call.offers.first(),
            "appels.applicationline": self.submitted.lines.first(),
            "appels.application": self.submitted,
            "appels.review": self.review,
            "appels.score": score,
            "appels.decision": decision,
            "appels.agreement": self.agreement,
            "appels.surveyanswer": survey,
            "equipements.devicemodel": self.item.device_model,
            "equipements.batch": batch,
            "equipements.item": self.item,
            "equipements.allocation": self.allocation,
            "equipements.allocateditem": picked,
            "equipements.shipment": self.shipment,
            "equipements.invoice": self.invoice,
            "equipements.invoicecounter": InvoiceCounter.objects.first() or InvoiceCounterFactory(),
            "equipements.supportticket": self.ticket,
            "equipements.replacementshipment": self.replacement,
            "equipements.itemreturn": self.item_return,
        }


PORTAL_ARGS = {
    "appels:call_detail": lambda s: {"slug": s.open_call.slug},
    "appels:results": lambda s: {"slug": s.decided_call.slug},
    "appels:application_start": lambda s: {"slug": s.open_call.slug},
    "appels:application_detail": lambda s: {"pk": s.submitted.pk},
    "appels:application_step": lambda s: {"pk": s.draft.pk, "step": "projet"},
    "appels:application_submit": lambda s: {"pk": s.draft.pk},
    "appels:application_withdraw": lambda s: {"pk": s.submitted.pk},
    "appels:attachment_download": lambda s: {"pk": s.draft.pk, "attachment_pk": s.attachment.pk},
    "appels:attachment_remove": lambda s: {"pk": s.draft.pk, "attachment_pk": s.attachment.pk},
    "appels:agreement": lambda s: {"pk": s.selected.pk},
    "appels:agreement_pdf": lambda s: {"pk": s.selected.pk},
    "equipements:follow_up": lambda s: {"pk": s.selected.pk},
    "equipements:survey": lambda s: {"pk": s.selected.pk},
    "equipements:confirm_reception": lambda s: {"pk": s.shipment.pk},
    "equipements:invoice_detail": lambda s: {"pk": s.invoice.pk},
    "equipements:invoice_pdf": lambda s: {"pk": s.invoice.pk},
    "equipements:ticket_detail": lambda s: {"pk": s.ticket.pk},
    "equipements:ticket_attachment": lambda s: {
        "pk": s.ticket.pk,
        "message_pk": s.ticket_message.pk,
    },
    "equipements:confirm_replacement": lambda s: {
        "pk": s.ticket.pk,
        "shipment_pk": s.replacement.pk,
    },
    "centres:password_reset_confirm": lambda s: {"uidb64": "MQ", "token": "abc-123"},
    "centres:invitation_accept": lambda s: {"uidb64": "MQ", "token": "abc-123"},
    "centres:site_edit": lambda s: {"pk": s.site.pk},
    "impact:export": lambda s: {"table": "pack-types", "file_format": "csv"},
    "impact:call": lambda s: {"pk": s.decided_call.pk},
    "impact:call_export": lambda s: {
        "pk": s.decided_call.pk,
        "table": "pack-types",
        "file_format": "csv",
    },
    "impact:report": lambda s: {"pk": s.decided_call.pk},
    "impact:archive_report": lambda s: {"pk": s.decided_call.pk},
    "admin:app_list": lambda s: {"app_label": "appels"},
    "admin:auth_user_password_change": lambda s: {"id": s.referent_a.pk},
    "admin:view_on_site": lambda s: {
        "content_type_id": ContentType.objects.get_for_model(s.centre).pk,
        "object_id": s.centre.pk,
    },
    "admin:appels_call_ranking": lambda s: {"object_id": s.review_call.pk},
    "admin:appels_application_attachment": lambda s: {
        "object_id": s.submitted.pk,
        "attachment_pk": s.submitted_attachment.pk,
    },
    "admin:equipements_item_journey": lambda s: {"object_id": s.item.pk},
    "admin:equipements_allocation_scan": lambda s: {"object_id": s.allocation.pk},
    "admin:equipements_supportticket_attachment": lambda s: {
        "object_id": s.ticket.pk,
        "message_pk": s.ticket_message.pk,
    },
}


def admin_models():
    return {
        f"{model._meta.app_label}.{model._meta.model_name}": model for model in admin.site._registry
    }


PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")
UNNAMED_ADMIN_OBJECT = re.compile(r"/(\w+)/(\w+)/<path:object_id>/$")


def url_of(route, name, scene, objects):
    """The URL to request for a route, with centre A's objects as arguments."""
    if name in PORTAL_ARGS:
        return reverse(name, kwargs=PORTAL_ARGS[name](scene))
    parameters = PARAMETER.findall(route)
    if route.endswith("/history/([^/]+)/$"):  # django-simple-history's record page
        parameters = ["object_id", "history_id"]
    if name and name.startswith("admin:") and parameters[:1] == ["object_id"]:
        for label, model in admin_models().items():
            if name.startswith(f"admin:{model._meta.app_label}_{model._meta.model_name}_"):
                obj = objects[label]
                if parameters == ["object_id", "history_id"]:  # django-simple-history
                    return reverse(name, args=[obj.pk, obj.history.latest().history_id])
                return reverse(name, args=[obj.pk])
    if name:
        return reverse(name)
    found = UNNAMED_ADMIN_OBJECT.search(route)
    if found:
        label = ".".join(found.groups())
        return f"{reverse('admin:index')}{found[1]}/{found[2]}/{objects[label].pk}/"
    return reverse("admin:index") + "nulle-part/"


def outcome(response):
    """A status, with redirects to a login page told apart (``"login"``)."""
    if response.status_code == 302:
        location = response["Location"]
        if "/login/" in location or reverse("centres:login") in location:
            return "login"
    return response.status_code


def run_role(role, scene, objects):
    """``{route: (GET outcome, POST outcome)}`` for one role, each request rolled back."""
    from django.middleware.csrf import _get_new_csrf_string

    client = Client(enforce_csrf_checks=True)
    user = scene.user(role)
    if user is not None:
        client.force_login(user)
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    cookies = client.cookies.output(header="", sep=";")
    results = {}
    for route, name in routes():
        url = url_of(route, name, scene, objects)
        statuses = []
        for method in ("get", "post"):
            # Logging out (or in) replaces the session cookie: restore it with the database.
            client.cookies = SimpleCookie(cookies)
            with transaction.atomic():
                if method == "get":
                    response = client.get(url)
                else:
                    response = client.post(url, {"csrfmiddlewaretoken": token})
                transaction.set_rollback(True)
            statuses.append(outcome(response))
        results[route] = tuple(statuses)
    return results


def encode(statuses):
    return "/".join("L" if status == "login" else str(status) for status in statuses)


@pytest.fixture
def scene(private_dir):  # noqa: F811
    scene = Scene()
    return scene, scene.objects()


def test_every_route_of_the_urlconf_is_in_the_table():
    known = {route for route, _name in routes()}
    assert sorted(known - set(EXPECTED)) == [], "new routes: add them to url_matrix_expected.py"
    assert sorted(set(EXPECTED) - known) == [], "routes gone: remove them from the table"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_expected_status_everywhere(scene, role):
    scene, objects = scene
    index = ROLES.index(role)
    actual = run_role(role, scene, objects)
    mismatches = {
        route: (EXPECTED[route].split()[index], encode(statuses))
        for route, statuses in actual.items()
        if route in EXPECTED and EXPECTED[route].split()[index] != encode(statuses)
    }
    assert mismatches == {}, "route: (expected, actual)"


@pytest.mark.skipif(not os.environ.get("MATRIX_WRITE"), reason="regenerates the table")
def test_write_the_table(scene):  # pragma: no cover - a maintainer's tool
    """``MATRIX_WRITE=1 pytest -k write_the_table`` rewrites the table from the code's
    behaviour: read the diff line by line before committing it."""
    scene, objects = scene
    table = {role: run_role(role, scene, objects) for role in ROLES}
    lines = [
        '"""Expected outcome of every route for each role (see ``test_url_matrix.py``).',
        "",
        "One line per route: GET/POST for each role, in the order of ``ROLES``:",
        ", ".join(ROLES) + ".",
        "``L`` is a redirect to a login page.",
        '"""',
        "",
        "# fmt: off",
        "EXPECTED = {",
    ]
    for route, _name in routes():
        row = " ".join(encode(table[role][route]) for role in ROLES)
        lines.append(f"    {route!r}:\n        {row!r},")
    lines += ["}", "# fmt: on", ""]
    with open(Path(__file__).with_name("url_matrix_expected.py"), "w") as out:
        out.write("\n".join(lines))
