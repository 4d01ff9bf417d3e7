"""The outbox of e-mails: recorded with the business event, sent once after commit."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from solidaire import outbox
from solidaire.models import OutboxEmail, OutboxStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def queue(key="event:1", recipients=("a@example.org", "b@example.org")):
    return outbox.queue_email(key, recipients, "emails/submission_receipt", {"application": None})


def test_an_email_is_sent_once_after_commit_to_each_recipient():
    with transaction.atomic():
        email = queue()
        assert mail.outbox == []  # nothing leaves before the event commits
    email.refresh_from_db()
    assert email.status == OutboxStatus.SENT and email.sent_at is not None
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.org", "b@example.org"]


def test_the_same_event_twice_is_one_email():
    queue()
    queue()
    assert OutboxEmail.objects.count() == 1
    assert len(mail.outbox) == 2  # two recipients, once each


def test_a_rolled_back_event_leaves_no_email():
    with pytest.raises(RuntimeError), transaction.atomic():
        queue()
        raise RuntimeError
    assert OutboxEmail.objects.count() == 0
    assert mail.outbox == []


def test_nobody_to_tell_records_nothing():
    assert queue(recipients=("", None)) is None
    assert OutboxEmail.objects.count() == 0


def test_the_sweeper_sends_what_a_lost_job_left_and_never_twice(settings):
    email = OutboxEmail.objects.create(
        key="lost:1", recipients=["a@example.org"], subject="Objet", body="Corps"
    )
    OutboxEmail.objects.filter(pk=email.pk).update(
        created_at=timezone.now() - timedelta(seconds=settings.OUTBOX_RETRY_AFTER + 1)
    )
    assert outbox.sweep() == 1
    assert len(mail.outbox) == 1
    assert outbox.sweep() == 0
    assert outbox.send_email(email.pk) == 0
    assert len(mail.outbox) == 1


def test_a_failed_send_is_recorded_and_sent_again(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("SMTP injoignable")

    monkeypatch.setattr(outbox, "send_mass_mail", refuse)
    email = queue()
    email.refresh_from_db()
    assert email.status == OutboxStatus.FAILED and "SMTP" in email.error
    monkeypatch.undo()
    assert outbox.send_email(email.pk) == 2
    email.refresh_from_db()
    assert email.status == OutboxStatus.SENT and email.attempts == 2


def test_the_admin_resends_a_failed_email(client, monkeypatch):
    monkeypatch.setattr(outbox, "send_mass_mail", lambda *a, **k: (_ for _ in ()).throw(OSError))
    email = queue()
    monkeypatch.undo()
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        reverse("admin:solidaire_outboxemail_changelist"),
        {"action": "resend", "_selected_action": [email.pk]},
        follow=True,
    )
    assert "1 e-mail renvoyé aux workers." in response.content.decode()
    email.refresh_from_db()
    assert email.status == OutboxStatus.SENT
