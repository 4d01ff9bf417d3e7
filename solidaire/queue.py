"""Sending Celery tasks from a business transaction without depending on the broker.

The task is sent once the transaction commits (never for a rolled-back one). If the broker
is unreachable (Redis down), the business action has already succeeded: the failure is
logged and the request goes on; what must not be forgotten is picked up later by a
periodic sweeper (documents, decision outcomes).
"""

import logging

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

BROKER_ERRORS = (OperationalError, ConnectionError, OSError)


def send_task(task, *args):
    """``task.delay(*args)``, logging instead of raising when the broker is unreachable."""
    try:
        task.delay(*args)
    except BROKER_ERRORS:
        logger.warning("Broker unreachable: %s%r not queued", task.name, args, exc_info=True)
        return False
    return True


def enqueue_on_commit(task, *args):
    """Send ``task`` with ``args`` after the current transaction commits."""
    transaction.on_commit(lambda: send_task(task, *args))
