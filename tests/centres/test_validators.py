"""French identifiers: SIRET (Luhn, La Poste exception) and postal codes."""

import pytest
from django.core.exceptions import ValidationError

from centres.validators import (
    luhn_is_valid,
    siret_is_valid,
    validate_postal_code,
    validate_siret,
)
from tests.factories import siret_for


@pytest.mark.parametrize(
    "siret",
    [
        "73282932000074",  # a real establishment (INSEE example)
        "732 829 320 00074",  # spaces as printed on documents
        "35600000000010",  # La Poste: digit sum multiple of 5 (fails Luhn)
    ],
)
def test_valid_sirets_are_accepted(siret):
    assert siret_is_valid(siret)
    validate_siret(siret)


@pytest.mark.parametrize("siret", ["73282932000075", "73282932000084", "35600000000028"])
def test_a_wrong_check_digit_is_refused_with_a_french_message(siret):
    assert not siret_is_valid(siret)
    with pytest.raises(ValidationError) as exc:
        validate_siret(siret)
    assert exc.value.code == "siret_checksum"
    assert "SIRET n’est pas valide" in exc.value.messages[0]


@pytest.mark.parametrize("siret", ["", "1234567890123", "123456789012345", "7328293200007A"])
def test_a_siret_must_be_exactly_fourteen_digits(siret):
    assert not siret_is_valid(siret)
    with pytest.raises(ValidationError) as exc:
        validate_siret(siret)
    assert exc.value.code == "siret_length"
    assert "14 chiffres" in exc.value.messages[0]


def test_la_poste_establishments_follow_their_own_rule_not_luhn():
    assert not luhn_is_valid("35600000000010")
    assert siret_is_valid("35600000000010")


def test_none_is_not_a_siret():
    assert not siret_is_valid(None)
    with pytest.raises(ValidationError):
        validate_siret(None)


@pytest.mark.parametrize(
    ("digits", "valid"),
    [("79927398713", True), ("79927398710", False), ("0", True), ("18", True), ("19", False)],
)
def test_luhn_on_known_examples(digits, valid):
    assert luhn_is_valid(digits) is valid


@pytest.mark.parametrize("n", [0, 1, 2, 9, 10, 99, 12345, 999_999])
def test_the_factories_siret_sequence_gives_valid_sirets(n):
    siret = siret_for(n)
    assert len(siret) == 14
    validate_siret(siret)


def test_the_factories_siret_sequence_never_repeats():
    assert len({siret_for(n) for n in range(2000)}) == 2000


@pytest.mark.parametrize("code", ["75011", "97400", "20000", "01000"])
def test_valid_postal_codes(code):
    validate_postal_code(code)


@pytest.mark.parametrize("code", ["7501", "750111", "75O11", "", "2A000"])
def test_invalid_postal_codes_are_refused(code):
    with pytest.raises(ValidationError) as exc:
        validate_postal_code(code)
    assert "5 chiffres" in exc.value.messages[0]
