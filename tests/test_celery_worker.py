"""End to end with a real Celery worker: the submission receipt leaves after commit only.

The worker (started by the ``celery_worker`` fixture in conftest) shares the PostgreSQL test
database and writes e-mails to files; tasks travel through Redis.
"""

import email
import time
import uuid
from email import policy

import pytest
from django.db import transaction

from appels import services
from appels.models import Application, ApplicationStatus
from tests.factories import ApplicationFactory, CentreFactory, staff_of

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

MAIL_TIMEOUT = 30  # seconds
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


class Rollback(Exception):
    pass


def read_mails(mail_dir):
    """Every message the file backend wrote (one file per connection, several per file)."""
    messages = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_bytes().split(SEPARATOR):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk, policy=policy.default))
    return messages


def mails_about(mail_dir, text):
    return [m for m in read_mails(mail_dir) if text in m.get_body().get_content()]


def wait_for_mails(mail_dir, text, count):
    deadline = time.monotonic() + MAIL_TIMEOUT
    while time.monotonic() < deadline:
        found = mails_about(mail_dir, text)
        if len(found) >= count:
            return found
        time.sleep(0.2)
    return mails_about(mail_dir, text)


def unique_centre():
    # Unique names: the worker's outbox may hold mails of other tests.
    return CentreFactory(name=f"Centre social {uuid.uuid4().hex[:10]}")


def test_the_worker_sends_the_receipt_to_each_staff_member(celery_worker):
    centre = unique_centre()
    staff = staff_of(centre, count=2)
    application = ApplicationFactory(centre=centre)

    with transaction.atomic():
        services.submit_application(application, by=staff[0])

    mails = wait_for_mails(celery_worker.mail_dir, centre.name, 2)
    assert sorted(str(m["To"]) for m in mails) == sorted(user.email for user in staff), (
        celery_worker.log_path.read_text(errors="replace")[-3000:]
    )
    for message in mails:
        assert "Candidature reçue" in str(message["Subject"])
        assert application.call.title in message.get_body().get_content()
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.SUBMITTED


def test_a_rolled_back_submission_sends_nothing(celery_worker):
    rolled_back_centre = unique_centre()
    staff = staff_of(rolled_back_centre)
    application = ApplicationFactory(centre=rolled_back_centre)

    with pytest.raises(Rollback), transaction.atomic():
        services.submit_application(application, by=staff[0])
        raise Rollback

    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.DRAFT
    # A control submission afterwards: once its receipt has arrived, the worker has had
    # every chance to send a receipt for the rolled-back one (one solo worker, one queue).
    control_centre = unique_centre()
    control_staff = staff_of(control_centre)
    control = ApplicationFactory(centre=control_centre)
    with transaction.atomic():
        services.submit_application(control, by=control_staff[0])
    assert wait_for_mails(celery_worker.mail_dir, control_centre.name, 1)
    assert mails_about(celery_worker.mail_dir, rolled_back_centre.name) == []
