"""Portal forms of the application journey (Bootstrap 5).

The application's steps render their fields with ``appels/_form_fields.html`` (plain Django
rendering): crispy-forms took about half of a step's time (make bench). The agreement and the
survey still use crispy-forms.
"""

from crispy_forms.helper import FormHelper
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from solidaire.templatetags.solidaire import euros

from .models import Application, SurveyAnswer


class PortalFormHelper(FormHelper):
    form_tag = False
    disable_csrf = True


class BootstrapFields:
    """Bootstrap 5 classes on the widgets, ``is-invalid`` on those of fields in error, for
    ``appels/_form_fields.html``; Django itself adds ``aria-invalid`` and points
    ``aria-describedby`` at the help text and the errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_widgets()

    def style_widgets(self):
        """Idempotent: a form adding fields in its ``__init__`` calls it again at the end."""
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            classes = widget.attrs.get("class", "").split()
            if css not in classes:
                widget.attrs["class"] = " ".join([*classes, css])

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class ProjectForm(BootstrapFields, forms.ModelForm):
    """Step 1: the digital-mediation project."""

    class Meta:
        model = Application
        fields = [
            "title",
            "summary",
            "audience",
            "expected_beneficiaries",
            "activities",
            "opens_mediation_space",
            "partners_description",
            "aim",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "audience": forms.Textarea(attrs={"rows": 3}),
            "activities": forms.Textarea(attrs={"rows": 4}),
            "partners_description": forms.Textarea(attrs={"rows": 3}),
            "aim": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "title": _("Un titre court qui dit ce que le projet change pour les habitants."),
            "summary": _("En quelques phrases : le besoin, ce que vous allez faire, pour qui."),
            "expected_beneficiaries": _("Une estimation sur la première année suffit."),
            "partners_description": _("Mairie, médiathèque, école, association… (facultatif)"),
        }

    def __init__(self, *args, call, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].max_length = 200
        beneficiaries = self.fields["expected_beneficiaries"]
        beneficiaries.validators += [MinValueValidator(1), MaxValueValidator(1_000_000)]
        beneficiaries.widget.attrs.update(min=1, max=1_000_000)
        if not call.requires_aim:
            del self.fields["aim"]


class RequestForm(BootstrapFields, forms.Form):
    """Step 2: packs requested per offer and the receiving site."""

    site = forms.ModelChoiceField(
        label=_("Site de réception du matériel"),
        queryset=None,
        empty_label=_("Choisissez un site"),
        help_text=_("Le matériel sera livré à cette adresse."),
    )

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)
        self.application = application
        self.fields["site"].queryset = application.centre.sites.filter(is_active=True)
        requested = {line.offer_id: line.requested_quantity for line in application.lines.all()}
        self.offers = list(application.call.offers.select_related("pack_type"))
        for offer in self.offers:
            name = self.offer_field_name(offer)
            self.fields[name] = forms.IntegerField(
                label=_("%(pack)s – nombre de packs") % {"pack": offer.pack_type.name},
                min_value=0,
                max_value=offer.per_centre_cap,
                initial=requested.get(offer.pk, 0),
                help_text=_("Prix solidaire %(price)s par pack, au plus %(cap)s par centre.")
                % {"price": euros(offer.solidarity_price), "cap": offer.per_centre_cap},
                error_messages={
                    "max_value": _("Au plus %(limit_value)s pack(s) par centre."),
                    "min_value": _("La quantité ne peut pas être négative."),
                },
            )
        # The offers first, then the site (declared first, above).
        self.order_fields([*(self.offer_field_name(offer) for offer in self.offers), "site"])
        if application.site_id:
            self.fields["site"].initial = application.site_id
        self.style_widgets()

    @staticmethod
    def offer_field_name(offer):
        return f"offer_{offer.pk}"

    def quantities(self):
        return {
            offer.pk: self.cleaned_data.get(self.offer_field_name(offer)) or 0
            for offer in self.offers
        }


class AttachmentForm(BootstrapFields, forms.Form):
    """Step 3: a supporting document (PDF, JPEG or PNG, 10 MB at most)."""

    file = forms.FileField(
        label=_("Fichier"),
        help_text=_("PDF, JPEG ou PNG, 10 Mo au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        help_text=_("Par exemple : budget prévisionnel, statuts, photo du local."),
    )


class AgreementSignatureForm(forms.Form):
    """The centre's explicit acceptance of its agreement."""

    signer_name = forms.CharField(label=_("Nom et prénom du signataire"), max_length=150)
    signer_role = forms.CharField(
        label=_("Qualité du signataire"),
        max_length=150,
        help_text=_("Par exemple : directrice, président de l’association."),
    )
    accept = forms.BooleanField(
        label=_("J’ai lu la convention et je l’accepte au nom du centre."),
        error_messages={"required": _("Cochez cette case pour signer la convention.")},
    )
    # The checksum of the PDF shown on the page: the service refuses another one.
    document_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = PortalFormHelper()


class SurveyForm(forms.ModelForm):
    """The satisfaction survey, after delivery."""

    class Meta:
        model = SurveyAnswer
        fields = [
            "satisfaction",
            "equipment_quality",
            "ease_of_installation",
            "after_sales_responsiveness",
            "opened_mediation_space",
            "testimonial",
        ]
        widgets = {
            "satisfaction": forms.RadioSelect,
            "equipment_quality": forms.RadioSelect,
            "ease_of_installation": forms.RadioSelect,
            "after_sales_responsiveness": forms.RadioSelect,
            "testimonial": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "testimonial": _("Facultatif : ce que le matériel a changé pour votre centre."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("satisfaction", "equipment_quality", "ease_of_installation"):
            self.fields[name].choices = [c for c in self.fields[name].choices if c[0] != ""]
        self.fields["after_sales_responsiveness"].required = False
        self.fields["after_sales_responsiveness"].choices = [
            ("", _("Nous n’avons pas eu besoin du SAV")),
            *self.fields["after_sales_responsiveness"].choices[1:],
        ]
        self.helper = PortalFormHelper()
