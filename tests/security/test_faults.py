"""Fault drills: a broker outage, a full disk. Nothing submitted is lost, nothing half-written.

The Redis drill starts its own ``redis-server`` (as the documents' drills do, see
``tests/documents/conftest.py``) and stops it while centres submit and the committee
publishes; the worker-kill and Redis-down drills of documents live in ``tests/documents``.
"""

import errno
import time

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from kombu.exceptions import OperationalError

from appels import services, tasks
from appels.models import Application, ApplicationStatus, Attachment, CallStatus, Decision
from tests.factories import ApplicationFactory, CallFactory, MembershipFactory, UserFactory
from tests.portal.conftest import PDF, private_dir  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def complete_draft():
    referent = MembershipFactory(is_referent=True).user
    draft = ApplicationFactory(
        centre=referent.memberships.get().centre, created_by=referent, call=CallFactory()
    )
    return referent, draft


def test_a_broker_error_after_commit_never_fails_the_submission(
    client, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.send_submission_receipt, "delay", broker_down)
    referent, draft = complete_draft()
    client.force_login(referent)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("appels:application_submit", args=[draft.pk]))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.SUBMITTED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_with_redis_stopped_submissions_succeed_and_outcomes_are_sent_when_it_returns(
    tmp_path, settings, client
):
    from tests.documents.conftest import RedisServer, _need_services

    _need_services()
    redis = RedisServer(tmp_path).start()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis.url
    settings.OUTCOMES_RETRY_AFTER = 0
    drafts = [complete_draft() for _ in range(5)]
    redis.stop()
    try:
        started = time.monotonic()
        statuses = []
        for referent, draft in drafts:
            client.force_login(referent)
            statuses.append(
                client.post(reverse("appels:application_submit", args=[draft.pk])).status_code
            )
        took = time.monotonic() - started

        assert statuses == [302] * 5
        assert Application.objects.filter(status=ApplicationStatus.SUBMITTED).count() == 5
        print(f"5 submissions with Redis down in {took:.1f} s")

        # The committee decides and publishes while Redis is still down.
        manager = UserFactory(is_staff=True)
        for _referent, draft in drafts:
            call = draft.call
            call.status = CallStatus.REVIEW
            call.save(update_fields=["status"])
            services.decide(draft, ApplicationStatus.SELECTED, by=manager)
            services.publish_results(call, by=manager)
        assert Decision.objects.filter(notified_at__isnull=True).count() == 5
        mail.outbox.clear()

        redis.start()
        assert tasks.send_pending_outcomes() == 5  # the beat sweeper queues them again
        settings.CELERY_TASK_ALWAYS_EAGER = True  # and a worker sends them
        tasks.send_pending_outcomes()
        assert Decision.objects.filter(notified_at__isnull=True).count() == 0
        assert len(mail.outbox) == 5
    finally:
        redis.stop()


def test_a_full_disk_refuses_the_upload_clearly_and_keeps_no_half_written_file(
    client,
    private_dir,  # noqa: F811 - the fixture
    monkeypatch,
):
    referent, draft = complete_draft()
    storage = Attachment._meta.get_field("file").storage
    written = []

    def full_disk(name, content, max_length=None):
        path = private_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(PDF[:10])  # a partial write, then the disk is full
        written.append(name)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage, "save", full_disk)
    client.force_login(referent)

    response = client.post(
        reverse("appels:application_step", args=[draft.pk, "pieces"]),
        {"file": SimpleUploadedFile("budget.pdf", PDF), "description": "Budget"},
    )

    assert response.status_code in (200, 400)
    assert "espace de stockage indisponible" in response.content.decode()
    assert not Attachment.objects.exists()
    assert written and not (private_dir / written[0]).exists()


def test_with_redis_unreachable_the_cached_home_still_answers(client, settings):
    """Redis is a cache here: away, the home's figures are computed and the page served."""
    from tests.security.private_postgres import free_port  # noqa: PLC0415

    settings.CACHES = {
        "default": {
            "BACKEND": "solidaire.cache.TolerantRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.PUBLIC_FIGURES_CACHE_SECONDS = 300
    response = client.get(reverse("equipements:home"))
    assert response.status_code == 200
    from django.core.cache import cache  # noqa: PLC0415

    assert cache.get("absent", "par défaut") == "par défaut"
    assert cache.set("clé", 1) is None and cache.get_many(["clé"]) == {}
