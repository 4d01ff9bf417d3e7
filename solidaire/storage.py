"""Storage of private files (attachments, agreements, invoices, erasure reports).

A callable, so that fields resolve the configured storage at run time and migrations
reference it by name.
"""

from django.core.files.storage import storages


def private_storage():
    return storages["private"]
