"""The client's IP address, also behind reverse proxies (login throttling, access log)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address


def _valid(address):
    try:
        validate_ipv46_address(address)
    except ValidationError:
        return None
    return address


def client_ip_address(request):
    """``REMOTE_ADDR``, or behind ``AXES_IPWARE_PROXY_COUNT`` = N proxies that each append
    the address they received from to X-Forwarded-For, the N-th address from the right:
    anything further left was sent by the client and proves nothing.

    django-ipware's own proxy counting only answers when X-Forwarded-For has exactly the
    expected length (no address otherwise), hence this function, used by django-axes
    through ``AXES_CLIENT_IP_CALLABLE``.
    """
    remote = _valid(request.META.get("REMOTE_ADDR", ""))
    count = settings.AXES_IPWARE_PROXY_COUNT or 0
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        return remote
    return _valid(forwarded[-count]) or remote
