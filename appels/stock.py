"""The stock that exists, as the committee sees it beside its offers.

An offer's quantity (``CallOffer.quantity_available``) is a promise; the devices on the
warehouse's shelves are the fact, and they live in ``equipements`` (``Item``), which
``appels`` must not import (imports go ``centres <- appels <- equipements``). So ``appels``
declares here what it needs, a function counting the devices per pack type, and
``equipements`` registers one at start-up (``EquipementsConfig.ready()``), as domain apps
register their document renderers with :mod:`solidaire.documents`. With nothing registered
(an installation without the stock app) :func:`stock_by_pack_type` returns nothing and the
committee's page hides its stock columns.

The registry is filled once per process from ``ready()``, the same in every process: it is
configuration, not state.
"""

from typing import NamedTuple


class PackStock(NamedTuple):
    """Devices of one pack type: on the shelves, picked for an allocation, still owed."""

    in_stock: int  # on the shelves, picked for nobody
    reserved: int  # picked for an allocation, not shipped yet
    # Devices that confirmed allocations (of other calls than the one asked about) still
    # have to pick: they will come out of ``in_stock``.
    committed: int = 0

    @property
    def free(self):
        """Devices on the shelves that no confirmed allocation is waiting for."""
        return max(0, self.in_stock - self.committed)

    def packs(self, units_per_pack):
        """Whole packs of ``units_per_pack`` devices the free devices make."""
        return self.free // max(1, units_per_pack)


_counters = []


def register_stock_counter(function):
    """Declare ``function(pack_type_ids, *, exclude_call=None)`` -> ``{pack_type_id:
    PackStock}`` as the counter of the stock; registering again replaces it (``ready()``
    may run more than once in tests). Returns ``function``, so it works as a decorator."""
    _counters[:] = [function]
    return function


def has_stock_counter():
    return bool(_counters)


def stock_by_pack_type(pack_type_ids, *, exclude_call=None):
    """``{pack_type_id: PackStock}`` for ``pack_type_ids``, ``committed`` leaving out the
    allocations of ``exclude_call`` (a call id); ``{}`` when no counter is registered or no
    pack type is asked about. Pack types without any device are reported with zeros."""
    ids = sorted({int(pk) for pk in pack_type_ids})
    if not _counters or not ids:
        return {}
    found = _counters[0](ids, exclude_call=exclude_call)
    return {pk: PackStock(*found.get(pk, (0, 0, 0))) for pk in ids}
