"""Portal forms of the centre's profile, sites and colleagues."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Centre, Membership, Site, User


class PortalFormHelper(FormHelper):
    form_tag = False
    disable_csrf = True


class CentreProfileForm(forms.ModelForm):
    class Meta:
        model = Centre
        fields = [
            "name", "siret", "fcsf_member_number", "address", "postal_code", "city",
            "department", "email", "phone",
        ]  # fmt: skip
        help_texts = {
            "siret": _("14 chiffres, sans espace : il figure sur vos statuts et factures."),
            "fcsf_member_number": _("Indiqué sur votre attestation d’adhésion à la fédération."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = PortalFormHelper()

    def clean_siret(self):
        return self.cleaned_data["siret"].replace(" ", "")


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = [
            "name", "address", "postal_code", "city", "contact_name", "contact_phone",
            "contact_email", "is_active",
        ]  # fmt: skip
        help_texts = {"name": _("Par exemple : « Antenne des Tilleuls – aide aux devoirs ».")}

    def __init__(self, *args, centre, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.centre = centre
        self.helper = PortalFormHelper()


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Adresse e-mail de votre collègue"))
    first_name = forms.CharField(label=_("Prénom"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Nom de famille"), max_length=150, required=False)
    role = forms.CharField(
        label=_("Fonction"),
        max_length=120,
        required=False,
        help_text=_("Par exemple : animatrice multimédia."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = PortalFormHelper()


class SignatoriesForm(forms.Form):
    """The referent ticks the colleagues who may sign agreements on the centre's behalf."""

    signatories = forms.ModelMultipleChoiceField(
        label=_("Signataires des conventions"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("En plus de vous, référent, qui pouvez toujours signer."),
    )

    def __init__(self, *args, colleagues, **kwargs):
        """``colleagues``: the centre's memberships other than the referent's (a list)."""
        super().__init__(*args, **kwargs)
        field = self.fields["signatories"]
        field.queryset = Membership.objects.filter(pk__in=[m.pk for m in colleagues])
        # Labels from the list already read: no query per checkbox.
        field.label_from_instance = lambda m: (
            f"{m.user.get_full_name() or m.user.email}{f', {m.role}' if m.role else ''}"
        )
        field.choices = [(m.pk, field.label_from_instance(m)) for m in colleagues]
        if not self.is_bound:
            self.initial["signatories"] = [m.pk for m in colleagues if m.may_sign_agreements]
        self.helper = PortalFormHelper()


class PreferencesForm(forms.ModelForm):
    """A person's own details and, for reviewers, whether they get review e-mails."""

    class Meta:
        model = User
        fields = ["first_name", "last_name", "phone", "review_emails"]

    def __init__(self, *args, show_review_emails=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not show_review_emails:
            del self.fields["review_emails"]
        self.helper = PortalFormHelper()
