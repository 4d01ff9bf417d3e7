"""First-login links sent to invited centre staff (by a referent or a programme manager)."""

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from . import tasks


def first_login_link(request, user, token=None):
    token = token or default_token_generator.make_token(user)
    path = reverse(
        "centres:invitation_accept", args=[urlsafe_base64_encode(force_bytes(user.pk)), token]
    )
    return request.build_absolute_uri(path)


def send_first_login_link(request, user, centre, *, token=None):
    """E-mail the link once the current transaction commits."""
    link = first_login_link(request, user, token)
    inviter = request.user.get_full_name() or request.user.email
    user_id, centre_id = user.pk, centre.pk
    transaction.on_commit(lambda: tasks.send_invitation.delay(user_id, centre_id, link, inviter))
