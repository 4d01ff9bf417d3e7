"""Validators for French identifiers."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# La Poste's establishments share one SIREN whose SIRETs follow a different check rule.
LA_POSTE_SIREN = "356000000"


def luhn_is_valid(digits):
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def siret_is_valid(value):
    value = (value or "").replace(" ", "")
    if len(value) != 14 or not value.isdigit():
        return False
    if value.startswith(LA_POSTE_SIREN):
        return sum(int(c) for c in value) % 5 == 0
    return luhn_is_valid(value)


def validate_siret(value):
    """A SIRET is 14 digits whose Luhn checksum is right (INSEE rule)."""
    compact = (value or "").replace(" ", "")
    if len(compact) != 14 or not compact.isdigit():
        raise ValidationError(
            _("Un numéro SIRET compte exactement 14 chiffres."), code="siret_length"
        )
    if not siret_is_valid(compact):
        raise ValidationError(
            _("Ce numéro SIRET n’est pas valide : vérifiez les chiffres saisis."),
            code="siret_checksum",
        )


def validate_postal_code(value):
    if not (len(value) == 5 and value.isdigit()):
        raise ValidationError(_("Un code postal compte 5 chiffres."), code="postal_code")
