"""E-mails to centres: a receipt on submission, the outcome once when results are published."""

import pytest
from django.utils import timezone

from appels import notifications, services
from appels.models import ApplicationStatus, CallStatus, Decision
from solidaire.errors import DomainError
from tests.factories import ApplicationFactory, CallFactory, UserFactory, staff_of

pytestmark = pytest.mark.django_db


def decided_call(outcomes):
    """A call in review with one submitted application per outcome, each centre with 2 staff."""
    call = CallFactory(status=CallStatus.REVIEW)
    manager = UserFactory(is_staff=True)
    applications = []
    for outcome in outcomes:
        application = ApplicationFactory(call=call, status=ApplicationStatus.SUBMITTED)
        staff_of(application.centre, 2)
        services.decide(application, outcome, by=manager)
        applications.append(application)
    return call, applications, manager


def test_publication_sends_each_applicant_its_outcome_once(
    mailoutbox, django_capture_on_commit_callbacks
):
    outcomes = [
        ApplicationStatus.SELECTED,
        ApplicationStatus.WAITLISTED,
        ApplicationStatus.REJECTED,
    ]
    call, applications, manager = decided_call(outcomes)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_results(call, by=manager)
    assert len(mailoutbox) == 2 * len(applications)  # two staff per centre
    subjects = {message.to[0]: message for message in mailoutbox}
    for application in applications:
        for email in application.centre.memberships.values_list("user__email", flat=True):
            body = subjects[email].body
            assert application.centre.name in body
    selected_body = next(m.body for m in mailoutbox if applications[0].centre.name in m.body)
    assert "retenue" in selected_body
    assert Decision.objects.filter(notified_at__isnull=True).count() == 0

    # Publishing again is refused, and re-running the job sends nothing more.
    with pytest.raises(DomainError):
        services.publish_results(call, by=manager)
    for decision in Decision.objects.all():
        assert notifications.send_decision_outcome(decision.pk) == 0
    assert len(mailoutbox) == 2 * len(applications)


def test_a_selected_centre_withdrawing_promotes_and_notifies_the_waitlist(
    mailoutbox, django_capture_on_commit_callbacks
):
    call, (selected, waitlisted), manager = decided_call(
        [ApplicationStatus.SELECTED, ApplicationStatus.WAITLISTED]
    )
    offer = call.offers.get()
    offer.quantity_available = 1
    offer.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_results(call, by=manager)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw_application(selected, by=manager)
    waitlisted.refresh_from_db()
    assert waitlisted.status == ApplicationStatus.SELECTED
    assert {m.to[0] for m in mailoutbox} == set(
        waitlisted.centre.memberships.values_list("user__email", flat=True)
    )
    assert "retenue" in mailoutbox[0].body


def test_submission_receipt_goes_to_every_staff_member(
    mailoutbox, django_capture_on_commit_callbacks
):
    application = ApplicationFactory()
    staff = staff_of(application.centre, 2)
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_application(application, by=staff[0], now=timezone.now())
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in staff)
    assert application.centre.name in mailoutbox[0].body
