"""Fixtures of the centre portal tests: the people of each role and a centre's objects.

``world`` builds, lazily, everything a portal page of centre A can show: a draft with an
attachment, a submitted application, a selected one (agreement, delivered allocation,
invoice, ticket) and one whose shipment is on its way. Only what a test touches is created.
"""

from datetime import timedelta
from functools import cached_property

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from appels.models import ApplicationStatus, Attachment, CallStatus
from centres import roles
from equipements.models import AllocationStatus, DataErasure, ShipmentStatus, TicketMessage
from tests.factories import (
    AgreementFactory,
    ApplicationFactory,
    CallFactory,
    CentreFactory,
    InvoiceFactory,
    MembershipFactory,
    ShipmentFactory,
    SupportTicketFactory,
    UserFactory,
    picked_allocation,
    put_in_shipment,
    ready_agreement_pdf,
)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"

ROLES = ("anonymous", "referent", "colleague", "other_centre", "reviewer", "logistics")


@pytest.fixture
def private_dir(settings, tmp_path, monkeypatch):
    """Private files go to ``tmp_path``.

    Overriding ``STORAGES`` alone is not enough: Django calls a FileField's storage callable
    once, when the model class is built, so the fields keep the storage of start-up (see
    ``test_a_storages_override_reaches_the_attachment_field``). The fields get the new one.
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }
    for field in (
        Attachment._meta.get_field("file"),
        DataErasure._meta.get_field("report"),
        TicketMessage._meta.get_field("attachment"),
    ):
        monkeypatch.setattr(field, "storage", storages["private"])
    return tmp_path


def platform_user(group_name, email):
    user = UserFactory(email=email, is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


class World:
    """Centre A (``centre``) and its objects; centre B (``other_centre``) is the intruder."""

    def __init__(self, centre, other_centre, referent, other, open_call, private_dir):
        self.centre = centre
        self.other_centre = other_centre
        self.referent = referent
        self.other = other
        self.open_call = open_call
        self.private_dir = private_dir

    # --- people -------------------------------------------------------------------------

    @cached_property
    def colleague(self):
        return MembershipFactory(centre=self.centre, is_referent=False).user

    @cached_property
    def reviewer(self):
        return platform_user(roles.REVIEWERS, "evaluatrice@example.org")

    @cached_property
    def logistics(self):
        return platform_user(roles.LOGISTICS, "logistique@example.org")

    def user(self, role):
        return {
            "anonymous": None,
            "referent": self.referent,
            "colleague": self.colleague,
            "other_centre": self.other,
            "reviewer": self.reviewer,
            "logistics": self.logistics,
        }[role]

    # --- centre A's objects -------------------------------------------------------------

    @cached_property
    def draft(self):
        """A complete draft to the open call."""
        return ApplicationFactory(call=self.open_call, centre=self.centre, created_by=self.referent)

    @cached_property
    def site(self):
        return self.draft.site

    @cached_property
    def attachment(self):
        name = Attachment._meta.get_field("file").storage.save(
            "applications/0f0e0d0c0b0a.pdf", ContentFile(PDF)
        )
        return Attachment.objects.create(
            application=self.draft,
            file=name,
            original_name="budget.pdf",
            content_type="application/pdf",
            size=len(PDF),
            sha256="0" * 64,
            uploaded_by=self.referent,
        )

    @cached_property
    def new_call(self):
        """An open call the centre has not applied to yet."""
        return CallFactory()

    @cached_property
    def submitted(self):
        call = CallFactory(status=CallStatus.REVIEW, **past_dates())
        return ApplicationFactory(
            call=call, centre=self.centre, site=self.site, status=ApplicationStatus.SUBMITTED
        )

    def _selected(self, allocation_status, shipment_status, items):
        call = CallFactory(status=CallStatus.DECIDED, **past_dates())
        application = ApplicationFactory(
            call=call, centre=self.centre, site=self.site, status=ApplicationStatus.SELECTED
        )
        application.lines.update(granted_quantity=items, requested_quantity=items)
        allocation = picked_allocation(
            status=allocation_status, items=items, application=application
        )
        put_in_shipment(allocation, ShipmentFactory(site=self.site, status=shipment_status))
        return application

    @cached_property
    def selected(self):
        """Selected, agreement issued (its PDF ready), delivered with two items, invoiced,
        one ticket open."""
        application = self._selected(AllocationStatus.DELIVERED, ShipmentStatus.RECEIVED, 2)
        self.agreement_pdf = ready_agreement_pdf(AgreementFactory(application=application))
        return application

    @cached_property
    def items(self):
        return [
            picked.item
            for picked in self.selected.allocation.lines.get().allocated_items.order_by("pk")
        ]

    @cached_property
    def invoice(self):
        return InvoiceFactory(allocation=self.selected.allocation)

    @cached_property
    def ticket(self):
        return SupportTicketFactory(centre=self.centre, item=self.items[0])

    @cached_property
    def shipping(self):
        """Selected, its shipment on the way (two items)."""
        return self._selected(AllocationStatus.SHIPPED, ShipmentStatus.SHIPPED, 2)

    @cached_property
    def shipment(self):
        return self.shipping.allocation.shipment

    @cached_property
    def shipment_serials(self):
        return sorted(
            p.item.serial_number
            for p in self.shipping.allocation.lines.get().allocated_items.select_related("item")
        )


def past_dates():
    now = timezone.now()
    return {"opens_at": now - timedelta(days=90), "closes_at": now - timedelta(days=30)}


@pytest.fixture
def world(centre, other_centre, staff_user, other_staff_user, open_call, private_dir):
    return World(centre, other_centre, staff_user, other_staff_user, open_call, private_dir)


@pytest.fixture
def referent_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def centre(db):
    """Centre A, with a name no other centre's name contains."""
    return CentreFactory(name="Centre social La Passerelle")


@pytest.fixture
def other_centre(db):
    return CentreFactory(name="Centre social Les Glycines")


@pytest.fixture(autouse=True)
def _eager_tasks(request, settings):
    """Tasks (e-mails) run in process here, even when the environment names a broker."""
    if request.node.get_closest_marker("celery_worker") is None:
        settings.CELERY_TASK_ALWAYS_EAGER = True
