"""Races on calls and applications, on PostgreSQL: one submission, no over-granted offer."""

import threading

import pytest
from django.db import connection

from appels import services, tasks
from appels.models import Application, ApplicationLine, ApplicationStatus, CallStatus
from solidaire.errors import DomainError
from tests.factories import ApplicationFactory, CallFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(work, arguments):
    """Call ``work(argument)`` in one thread per argument, all released at once."""
    barrier = threading.Barrier(len(arguments))
    results = [None] * len(arguments)
    errors = [None] * len(arguments)

    def target(index, argument):
        try:
            barrier.wait(timeout=30)
            results[index] = work(argument)
        except Exception as exc:  # noqa: BLE001 - reported to the test thread
            errors[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=target, args=(index, argument), daemon=True)
        for index, argument in enumerate(arguments)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "a worker thread is stuck"
    return results, errors


def test_five_simultaneous_submits_make_one_submission_and_one_receipt(monkeypatch):
    queued = []
    lock = threading.Lock()

    def record(application_id):
        with lock:
            queued.append(application_id)

    monkeypatch.setattr(tasks.send_submission_receipt, "delay", record)
    application = ApplicationFactory()
    staff = UserFactory()

    results, errors = run_together(
        lambda _n: services.submit_application(application, by=staff), range(5)
    )

    assert errors == [None] * 5
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert {r.submitted_at for r in results} == {application.submitted_at}
    assert queued == [application.pk]


def test_the_committee_never_grants_more_packs_than_an_offer_has():
    call = CallFactory(
        status=CallStatus.REVIEW, offers__quantity_available=3, offers__per_centre_cap=1
    )
    applications = [
        ApplicationFactory(call=call, status=ApplicationStatus.SUBMITTED, lines=1)
        for _ in range(10)
    ]
    manager = UserFactory(is_staff=True)

    _results, errors = run_together(
        lambda app: services.decide(app, ApplicationStatus.SELECTED, by=manager), applications
    )

    refused = [e for e in errors if e is not None]
    assert len(refused) == 7
    assert all(isinstance(e, DomainError) and e.code == "over_stock" for e in refused), refused
    assert Application.objects.filter(call=call, status=ApplicationStatus.SELECTED).count() == 3
    granted = ApplicationLine.objects.filter(
        application__call=call, application__status=ApplicationStatus.SELECTED
    )
    assert sum(granted.values_list("granted_quantity", flat=True)) == 3
