"""Agreements an operator can use: numbers that fit, the centre e-mailed once, signed only
by the referent or a named signatory, on the PDF they read (checksum, address, time).

On PostgreSQL: it enforces the columns' lengths (SQLite does not).
"""

from datetime import datetime

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from appels import services
from appels.models import Agreement, AgreementStatus, ApplicationStatus, Call
from centres import services as centres_services
from equipements import services as equipements_services
from equipements.models import AllocationStatus, Invoice, InvoiceCounter, Shipment
from solidaire.errors import DomainError
from solidaire.models import OutboxEmail
from tests.factories import (
    AgreementFactory,
    AllocationFactory,
    ApplicationFactory,
    CallFactory,
    MembershipFactory,
    UserFactory,
    picked_allocation,
    ready_agreement_pdf,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

BIGINT_MAX = 2**63 - 1


def max_length(model, field="number"):
    return model._meta.get_field(field).max_length


@pytest.fixture
def long_call():
    """A call whose title and slug are as long as their columns allow."""
    title_length = Call._meta.get_field("title").max_length
    slug_length = Call._meta.get_field("slug").max_length
    return CallFactory(
        title=("Mon centre social numérique et durable " * 10)[:title_length],
        slug=("mon-centre-social-numerique-et-durable-" * 5)[:slug_length],
    )


@pytest.fixture
def restore_sequence():
    """Move a table's id sequence for a test, and put it back (sequences ignore rollback)."""
    moved = []

    def move(model, value):
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            (sequence,) = cursor.fetchone()
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608
            moved.append((sequence, *cursor.fetchone()))
            cursor.execute("SELECT setval(%s, %s)", [sequence, value])

    yield move
    with connection.cursor() as cursor:
        for sequence, last_value, is_called in reversed(moved):
            cursor.execute("SELECT setval(%s, %s, %s)", [sequence, last_value, is_called])


# --- numbers ----------------------------------------------------------------------------


def test_an_agreement_of_a_call_with_a_long_slug_fits_its_column(long_call):
    application = ApplicationFactory(
        pk=BIGINT_MAX, call=long_call, status=ApplicationStatus.SELECTED
    )
    agreement = services.issue_agreement(application)
    agreement.refresh_from_db()
    assert len(long_call.slug) == Call._meta.get_field("slug").max_length
    assert agreement.number.endswith(f"-{BIGINT_MAX}")
    assert len(agreement.number) <= max_length(Agreement)
    # Readable: it starts with the call's slug; stable: the same call gives the same code.
    assert agreement.number.startswith("CONV-MON-CEN")
    other = services.issue_agreement(
        ApplicationFactory(call=long_call, status=ApplicationStatus.SELECTED)
    )
    assert other.number.rsplit("-", 1)[0] == agreement.number.rsplit("-", 1)[0]


def test_two_calls_sharing_a_long_prefix_get_different_codes():
    first, second = (
        CallFactory(slug="mon-centre-social-numerique-2012"),
        CallFactory(slug="mon-centre-social-numerique-2013"),
    )
    numbers = [
        services.issue_agreement(
            ApplicationFactory(call=call, status=ApplicationStatus.SELECTED)
        ).number.rsplit("-", 1)[0]
        for call in (first, second)
    ]
    assert numbers[0] != numbers[1]


def test_a_short_slug_stays_whole_in_the_number():
    application = ApplicationFactory(status=ApplicationStatus.SELECTED, call__slug="tablettes-14")
    assert services.issue_agreement(application).number == f"CONV-TABLETTES-14-{application.pk:05d}"


def test_shipment_invoice_and_credit_note_numbers_fit_at_their_largest(
    long_call, restore_sequence, settings
):
    series_length = max_length(Invoice, "series")
    settings.INVOICE_SERIES, settings.CREDIT_NOTE_SERIES = "F" * series_length, "A" * series_length
    restore_sequence(Shipment, BIGINT_MAX - 1)
    counter_max = 2**31 - 1  # PositiveIntegerField
    for series in (settings.INVOICE_SERIES, settings.CREDIT_NOTE_SERIES):
        InvoiceCounter.objects.create(series=series, year=2014, last_number=counter_max - 1)
    at = timezone.make_aware(datetime(2014, 6, 15, 10, 0))

    shipment = equipements_services.create_shipment(
        [picked_allocation(application=ApplicationFactory(call=long_call))]
    )
    invoice = equipements_services.issue_invoice(
        AllocationFactory(status=AllocationStatus.DELIVERED, application__call=long_call), now=at
    )
    note = equipements_services.issue_credit_note(invoice, reason="Erreur", now=at)

    shipment.refresh_from_db()
    assert shipment.reference == f"EXP-{timezone.now():%Y}-{BIGINT_MAX}"
    assert len(shipment.reference) <= max_length(Shipment, "reference")
    for document in (invoice, note):
        document.refresh_from_db()
        assert document.number.endswith(f"-2014-{counter_max}")
        assert len(document.number) <= max_length(Invoice)


# --- the e-mail at issue ----------------------------------------------------------------


def test_issuing_emails_the_centres_active_staff_once_with_the_follow_up_link(
    centre, staff_user, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://solidaire.example.org"
    colleague = MembershipFactory(centre=centre).user
    MembershipFactory(centre=centre, user=UserFactory(is_active=False))
    MembershipFactory()  # someone of another centre
    application = ApplicationFactory(centre=centre, status=ApplicationStatus.SELECTED)

    with django_capture_on_commit_callbacks(execute=True):
        agreement = services.issue_agreement(application)
    with django_capture_on_commit_callbacks(execute=True):
        services.issue_agreement(application)  # again: no second e-mail

    assert OutboxEmail.objects.filter(key=f"agreement-issued:{agreement.pk}").count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted([staff_user.email, colleague.email])
    message = mail.outbox[0]
    assert agreement.number in message.subject
    link = settings.SITE_URL + reverse("equipements:follow_up", args=[application.pk])
    assert link in message.body
    assert "signe" in message.body


def test_signing_emails_a_receipt_with_the_checksum(
    agreement, staff_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sign(agreement, staff_user)
    receipts = [m for m in mail.outbox if "signée" in m.subject]
    assert [m.to for m in receipts] == [[staff_user.email]]
    assert agreement.pdf_checksum in receipts[0].body


# --- who signs --------------------------------------------------------------------------


@pytest.fixture
def agreement(centre, staff_user):
    """An issued agreement of ``centre`` (``staff_user`` is its referent), its PDF ready."""
    agreement = AgreementFactory(application__centre=centre)
    agreement.pdf_checksum = ready_agreement_pdf(agreement).sha256
    return agreement


def sign(agreement, user, *, checksum=None, ip_address="192.0.2.10"):
    return services.sign_agreement(
        agreement,
        by=user,
        signer_name="Camille Durand",
        signer_role="Présidente",
        document_sha256=agreement.pdf_checksum if checksum is None else checksum,
        ip_address=ip_address,
    )


def refused(db_state, *args, **kwargs):
    before = db_state()
    with pytest.raises(DomainError) as exc:
        sign(*args, **kwargs)
    assert db_state() == before
    return exc.value


def test_the_referent_signs_and_the_address_and_checksum_are_recorded(agreement, staff_user):
    sign(agreement, staff_user, ip_address="2001:db8::7")
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.SIGNED
    assert agreement.signed_by == staff_user
    assert agreement.signed_from_ip == "2001:db8::7"
    assert agreement.signed_document_sha256 == agreement.pdf_checksum
    assert len(agreement.signed_document_sha256) == 64


def test_a_plain_member_may_not_sign(agreement, centre, db_state):
    member = MembershipFactory(centre=centre).user
    error = refused(db_state, agreement, member)
    assert error.code == "not_signatory"
    assert "référent" in error.messages[0]


def test_staff_of_another_centre_and_platform_staff_may_not_sign(agreement, db_state, manager):
    for user in (MembershipFactory(is_referent=True).user, manager):
        assert refused(db_state, agreement, user).code == "not_signatory"


def test_a_signatory_named_by_the_referent_signs(agreement, centre, staff_user):
    membership = MembershipFactory(centre=centre)
    referent = centre.memberships.get(user=staff_user)
    centres_services.set_signatories(centre, by_membership=referent, memberships=[membership])
    sign(agreement, membership.user)
    agreement.refresh_from_db()
    assert agreement.signed_by == membership.user


def test_a_signatory_no_longer_named_may_not_sign(agreement, centre, staff_user, db_state):
    membership = MembershipFactory(centre=centre, may_sign_agreements=True)
    referent = centre.memberships.get(user=staff_user)
    centres_services.set_signatories(centre, by_membership=referent, memberships=[])
    assert refused(db_state, agreement, membership.user).code == "not_signatory"


def test_only_the_referent_names_signatories(centre, db_state):
    colleague, other = MembershipFactory(centre=centre), MembershipFactory(centre=centre)
    before = db_state()
    with pytest.raises(DomainError):
        centres_services.set_signatories(centre, by_membership=colleague, memberships=[other])
    assert db_state() == before


def test_signatories_are_chosen_among_the_centres_members(centre, staff_user, db_state):
    referent = centre.memberships.get(user=staff_user)
    stranger = MembershipFactory()
    before = db_state()
    with pytest.raises(DomainError):
        centres_services.set_signatories(centre, by_membership=referent, memberships=[stranger])
    assert db_state() == before


# --- what is signed ---------------------------------------------------------------------


def test_a_checksum_other_than_the_ready_pdfs_is_refused(agreement, staff_user, db_state):
    error = refused(db_state, agreement, staff_user, checksum="0" * 64)
    assert error.code == "document_changed"
    assert "relisez" in error.messages[0]


def test_a_regenerated_pdf_invalidates_the_checksum_read_before(agreement, staff_user, db_state):
    read = agreement.pdf_checksum
    ready_agreement_pdf(agreement, content=b"%PDF-1.4\n% a corrected agreement\n%%EOF\n")
    assert refused(db_state, agreement, staff_user, checksum=read).code == "document_changed"


def test_an_agreement_whose_pdf_is_not_ready_cannot_be_signed_yet(centre, staff_user, db_state):
    application = ApplicationFactory(centre=centre, status=ApplicationStatus.SELECTED)
    agreement = services.issue_agreement(application)  # its PDF pending
    agreement.pdf_checksum = ""
    error = refused(db_state, agreement, staff_user)
    assert error.code == "document_not_ready"
    assert "en cours de préparation" in error.messages[0]
