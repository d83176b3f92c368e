import pytest
from hypothesis import given
from hypothesis import strategies as st

from customers import rules
from customers.exceptions import InvalidCardNumber, InvalidPhone


@pytest.mark.parametrize("raw", ["+7 912 345-67-89", "8 (912) 345 67 89", "+79123456789", "89123456789", "9123456789"])
def test_phone_formats_normalise_to_one_e164(raw):
    assert rules.phone_normalize(raw) == "+79123456789"


@pytest.mark.parametrize("raw", ["", "   ", "hello", "123", "+7 000 000"])
def test_bad_phone_says_why(raw):
    with pytest.raises(InvalidPhone) as exc:
        rules.phone_normalize(raw)
    assert exc.value.message


def test_phone_mask_keeps_country_operator_and_last_two_digits():
    assert rules.phone_mask("+79123456789") == "+7 912 ***-**-89"


@given(st.integers(min_value=0, max_value=2**32))
def test_generated_card_numbers_pass_their_check_digit(seed):
    import random

    card = rules.card_number_generate(rng=random.Random(seed))
    assert len(card) == 13 and card.isdigit() and card.startswith("27")
    assert rules.card_number_is_valid(card)
    # A single mistyped digit is always caught by the Luhn check digit.
    wrong = card[:5] + str((int(card[5]) + 1) % 10) + card[6:]
    assert not rules.card_number_is_valid(wrong)


def test_invalid_card_number_is_refused():
    with pytest.raises(InvalidCardNumber):
        rules.card_number_validate("2700000000001")
