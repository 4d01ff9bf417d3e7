"""Portal forms of delivery and after-sales."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _


class PortalFormHelper(FormHelper):
    form_tag = False
    disable_csrf = True


class ReceptionForm(forms.Form):
    """Tick each item received; anything unticked or a note reports a problem."""

    received = forms.MultipleChoiceField(
        label=_("Matériel reçu (cochez chaque numéro de série reçu)"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    note = forms.CharField(
        label=_("Un problème ? Décrivez-le"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Colis abîmé, appareil qui ne démarre pas… Laissez vide si tout va bien."),
    )

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received"].choices = [
            (item.serial_number, f"{item.device_model} – {item.serial_number}") for item in items
        ]
        # Nothing is ticked in advance: each tick is the centre's own check of a serial.
        self.helper = PortalFormHelper()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("received") and not (cleaned.get("note") or "").strip():
            self.add_error(
                "received",
                _(
                    "Cochez chaque matériel reçu, ou décrivez le problème si le colis n’est "
                    "pas arrivé."
                ),
            )
        return cleaned


class TicketForm(forms.Form):
    item = forms.ChoiceField(label=_("Matériel concerné"))
    subject = forms.CharField(label=_("Objet"), max_length=200)
    description = forms.CharField(
        label=_("Description du problème"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Ce qui se passe, depuis quand, ce que vous avez déjà essayé."),
    )

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = {str(item.pk): item for item in items}
        self.fields["item"].choices = [
            ("", _("Choisissez le matériel")),
            *[(str(item.pk), f"{item.device_model} – {item.serial_number}") for item in items],
        ]
        self.helper = PortalFormHelper()

    def clean_item(self):
        return self.items[self.cleaned_data["item"]]


class TicketMessageForm(forms.Form):
    """A message on a ticket's thread, with an optional photo or PDF (checked by content
    in the service)."""

    body = forms.CharField(
        label=_("Votre message"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    attachment = forms.FileField(
        label=_("Pièce jointe (facultative)"),
        required=False,
        help_text=_("Une photo (JPEG, PNG) ou un PDF, 10 Mo au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
    )

    # The service's refusal codes and the field each one belongs to.
    ERROR_FIELDS = {"body": "body", "too_big": "attachment", "bad_type": "attachment"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = PortalFormHelper()

    def add_service_error(self, error):
        field = self.ERROR_FIELDS.get(error.code)
        self.add_error(field, error.messages[0])
