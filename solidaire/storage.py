"""Storage of private files (attachments, agreements, invoices, erasure reports).

A callable, so that migrations reference it by name and the storage comes from
``settings.STORAGES["private"]``. Django calls it once, when the model class is built: a
later override of ``STORAGES`` does not reach the fields (tests patch the field's storage).
"""

from django.core.files.storage import storages


def private_storage():
    return storages["private"]
