"""Access logging of personal data: who viewed which person's, centre's or application's page.

The pages are listed by URL name in ``settings.ACCESS_LOG_URL_NAMES``; a successful GET of one
of them by a logged-in person costs one INSERT into :class:`centres.models.AccessLog`.
"""

from django.conf import settings

from solidaire.client_ip import client_ip_address

from .models import AccessLog


class AccessLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if (
            match is None
            or request.method != "GET"
            or response.status_code != 200
            or not getattr(request, "user", None)
            or not request.user.is_authenticated
        ):
            return response
        logged = settings.ACCESS_LOG_URL_NAMES.get(match.view_name)
        if logged is not None:
            object_type, kwarg = logged
            AccessLog.objects.create(
                user=request.user,
                object_type=object_type,
                object_id=str(match.kwargs.get(kwarg, ""))[:64],
                url_name=match.view_name[:100],
                path=request.path[:255],
                ip_address=client_ip_address(request),
            )
        return response
