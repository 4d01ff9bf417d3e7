"""Invoices: gapless numbering per series and year, copied content, immutability, credit notes."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from centres.models import Centre, Partner
from equipements import services
from equipements.models import (
    AllocationStatus,
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
)
from solidaire.errors import DomainError
from tests.factories import AllocationFactory, AllocationLineFactory, CallOfferFactory

pytestmark = pytest.mark.django_db


def _refused(db_state, call, *args, **kwargs):
    before = db_state()
    with pytest.raises(DomainError) as exc:
        call(*args, **kwargs)
    assert db_state() == before
    return exc.value


def delivered(quantity=2, **kwargs):
    return AllocationFactory(status=AllocationStatus.DELIVERED, lines=quantity, **kwargs)


def at(year, month=6, day=15):
    return timezone.make_aware(datetime(year, month, day, 10, 0))


# --- issuing ----------------------------------------------------------------------------


def test_an_invoice_copies_seller_buyer_and_prices(settings):
    settings.INVOICE_VAT_RATE = "0"
    settings.INVOICE_PAYMENT_DAYS = 30
    allocation = delivered(quantity=2)
    operator = allocation.application.call.call_partners.get(role="operator").partner
    centre = allocation.application.centre

    invoice = services.issue_invoice(allocation, now=at(2013, 1, 10))

    assert invoice.kind == InvoiceKind.INVOICE
    assert invoice.status == InvoiceStatus.ISSUED
    assert invoice.number == "F-2013-00001"
    assert (invoice.issued_on, invoice.due_on) == (date(2013, 1, 10), date(2013, 2, 9))
    assert (invoice.seller_name, invoice.seller_siret) == (operator.name, operator.siret)
    assert invoice.seller_address == operator.postal_address
    assert (invoice.buyer_name, invoice.buyer_siret) == (centre.name, centre.siret)
    assert invoice.buyer_address == centre.postal_address
    assert invoice.total_excl_tax == invoice.total_incl_tax == Decimal("180.00")
    assert invoice.total_vat == Decimal("0.00")
    assert "261" in invoice.vat_mention
    assert "30 jours" in invoice.payment_terms
    line = invoice.lines.get()
    assert (line.quantity, line.unit_price, line.total_excl_tax) == (
        2,
        Decimal("90.00"),
        Decimal("180.00"),
    )


def test_vat_is_computed_and_rounded_when_the_operator_charges_it(settings):
    settings.INVOICE_VAT_RATE = "20"
    allocation = delivered(quantity=1, lines__unit_price=Decimal("90.05"))
    invoice = services.issue_invoice(allocation)
    assert invoice.total_vat == Decimal("18.01")
    assert invoice.total_incl_tax == Decimal("108.06")
    assert invoice.vat_mention == ""


def test_an_invoice_sums_every_line():
    allocation = delivered(quantity=2)
    offer = CallOfferFactory(call=allocation.application.call, solidarity_price=Decimal("15.50"))
    AllocationLineFactory(allocation=allocation, offer=offer, quantity=3)
    invoice = services.issue_invoice(allocation)
    assert invoice.total_incl_tax == Decimal("226.50")
    assert list(invoice.lines.values_list("position", flat=True)) == [1, 2]


def test_issuing_twice_gives_the_same_invoice_and_takes_no_number():
    allocation = delivered()
    first = services.issue_invoice(allocation)
    second = services.issue_invoice(allocation)
    assert first.pk == second.pk
    assert Invoice.objects.count() == 1
    assert InvoiceCounter.objects.get().last_number == 1


def test_numbers_follow_each_other_without_gaps_within_a_year():
    numbers = [services.issue_invoice(delivered(), now=at(2012)).number for _ in range(3)]
    assert numbers == ["F-2012-00001", "F-2012-00002", "F-2012-00003"]


def test_each_year_starts_again_at_one():
    services.issue_invoice(delivered(), now=at(2012, 12, 31))
    services.issue_invoice(delivered(), now=at(2012, 12, 31))
    assert services.issue_invoice(delivered(), now=at(2013, 1, 2)).number == "F-2013-00001"
    assert dict(InvoiceCounter.objects.values_list("year", "last_number")) == {2012: 2, 2013: 1}


def test_a_refused_invoice_takes_no_number(db_state):
    allocation = delivered()
    allocation.application.call.call_partners.all().delete()
    error = _refused(db_state, services.issue_invoice, allocation)
    assert "pas d’opérateur" in str(error)
    assert services.issue_invoice(delivered(), now=at(2013)).number == "F-2013-00001"


def test_an_issued_invoice_never_changes_when_the_world_does():
    allocation = delivered()
    invoice = services.issue_invoice(allocation)
    snapshot = Invoice.objects.filter(pk=invoice.pk).values().get()
    centre = allocation.application.centre
    Centre.objects.filter(pk=centre.pk).update(name="Nouveau nom", address="Ailleurs")
    Partner.objects.filter(call_roles__call=allocation.application.call).update(name="Autre")
    allocation.lines.update(unit_price=Decimal("1.00"))
    assert services.issue_invoice(allocation).pk == invoice.pk
    assert Invoice.objects.filter(pk=invoice.pk).values().get() == snapshot


# --- immutability -----------------------------------------------------------------------


@pytest.fixture
def invoice():
    return services.issue_invoice(delivered())


def test_an_issued_invoice_cannot_be_saved_again(invoice, db_state):
    invoice.buyer_name = "Quelqu’un d’autre"
    error = _refused(db_state, invoice.save)
    assert error.code == "invoice_immutable"
    assert "ne peut pas être modifiée" in str(error)


@pytest.mark.parametrize("fields", [["total_incl_tax"], ["status", "buyer_name"], ["number"]])
def test_only_the_settlement_may_be_saved(invoice, db_state, fields):
    _refused(db_state, invoice.save, update_fields=fields)


def test_saving_the_settlement_fields_is_allowed(invoice):
    invoice.status = InvoiceStatus.PAID
    invoice.paid_on = date(2013, 4, 1)
    invoice.save(update_fields=["status", "paid_on"])
    assert Invoice.objects.get(pk=invoice.pk).paid_on == date(2013, 4, 1)


def test_the_settlement_is_recorded(invoice):
    services.mark_invoice_paid(invoice, paid_on=date(2013, 3, 1))
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_on) == (InvoiceStatus.PAID, date(2013, 3, 1))


def test_an_issued_invoice_cannot_be_deleted(invoice, db_state):
    error = _refused(db_state, invoice.delete)
    assert error.code == "invoice_undeletable"
    assert "supprimée" in str(error)


# --- credit notes -----------------------------------------------------------------------


def test_a_credit_note_cancels_an_invoice_with_its_own_numbering(invoice):
    services.issue_invoice(delivered())  # F-…-00002
    note = services.issue_credit_note(invoice, reason=" Pack jamais livré ")
    year = invoice.year
    assert note.kind == InvoiceKind.CREDIT_NOTE
    assert note.number == f"AV-{year}-00001"
    assert note.corrects == invoice
    assert note.reason == "Pack jamais livré"
    assert note.total_incl_tax == -invoice.total_incl_tax
    assert note.total_excl_tax == -invoice.total_excl_tax
    assert (note.buyer_name, note.seller_siret) == (invoice.buyer_name, invoice.seller_siret)
    assert [(line.quantity, line.total_excl_tax) for line in note.lines.all()] == [
        (-line.quantity, -line.total_excl_tax) for line in invoice.lines.all()
    ]
    # The invoice series goes on where it was.
    assert services.issue_invoice(delivered()).number == f"F-{year}-00003"
    assert (
        services.issue_credit_note(
            Invoice.objects.get(number=f"F-{year}-00002"), reason="Erreur"
        ).number
        == f"AV-{year}-00002"
    )


def test_an_invoice_is_cancelled_once(invoice, db_state):
    services.issue_credit_note(invoice, reason="Erreur de quantité")
    error = _refused(db_state, services.issue_credit_note, invoice, reason="Encore")
    assert "déjà été annulée" in str(error)


def test_a_credit_note_needs_a_reason(invoice, db_state):
    error = _refused(db_state, services.issue_credit_note, invoice, reason=" ")
    assert error.code == "reason_required"


def test_a_credit_note_is_neither_corrected_nor_paid(invoice, db_state):
    note = services.issue_credit_note(invoice, reason="Erreur")
    assert "pas un autre avoir" in str(
        _refused(db_state, services.issue_credit_note, note, reason="x")
    )
    assert "ne se règle pas" in str(_refused(db_state, services.mark_invoice_paid, note))


def test_a_paid_invoice_may_still_be_cancelled_by_a_credit_note(invoice):
    services.mark_invoice_paid(invoice)
    note = services.issue_credit_note(invoice, reason="Remboursement")
    assert note.corrects_id == invoice.pk


def test_invoices_are_scoped_to_their_centre(invoice, manager):
    centre = invoice.allocation.application.centre
    from tests.factories import MembershipFactory  # noqa: PLC0415

    member = MembershipFactory(centre=centre).user
    services.issue_invoice(delivered())
    assert list(Invoice.objects.visible_to(member)) == [invoice]
    assert list(Invoice.objects.for_centre(centre)) == [invoice]
    assert Invoice.objects.visible_to(manager).count() == 2
    assert InvoiceLine.objects.filter(invoice__in=Invoice.objects.for_centre(centre)).count() == 1
