"""Who is the centre behind a portal request: the scoping every portal view starts from."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied

from .models import Centre, Membership


def centre_memberships(user):
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("centre")


def current_membership(user):
    """The user's membership (the first one by centre name when there are several)."""
    return centre_memberships(user).order_by("centre__name").first()


def current_centre(user):
    membership = current_membership(user)
    return membership.centre if membership else None


class CentreStaffMixin(LoginRequiredMixin):
    """Portal pages of a centre: logged in, and working for a centre (else 403)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.membership = current_membership(request.user)
        if self.membership is None:
            raise PermissionDenied
        self.centre = self.membership.centre
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["centre"] = self.centre
        context["membership"] = self.membership
        return context


__all__ = ["Centre", "CentreStaffMixin", "centre_memberships", "current_centre"]
