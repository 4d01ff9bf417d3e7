"""First-login links sent to invited centre staff (by a referent or a programme manager)."""

from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from solidaire.queue import enqueue_on_commit

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
    enqueue_on_commit(tasks.send_invitation, user_id, centre_id, link, inviter)
