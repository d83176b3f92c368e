import pytest
from hypothesis import given
from hypothesis import strategies as st

from customers import rules
from customers.exceptions import InvalidCardNumber, InvalidPhone


@pytest.mark.parametrize(
    "raw",
    [
        "+7 912 345-67-89",
        "8 (912) 345 67 89",
        "+79123456789",
        "89123456789",
        "9123456789",
        "+7\u00a0912\u00a0345.67.89",
    ],
)
def test_phone_formats_normalise_to_one_e164(raw):
    assert rules.phone_normalize(raw) == "+79123456789"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "hello",
        "123",
        "+7 000 000",
        "+7 912 345-67-89x",
        "+7 912 345-67-89 x",
        "+7 912 345 67 89 ext. 5",
        "89123456789abc",
        "+7 912 345 67 89#",
        "++79123456789",
    ],
)
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


def test_name_search_form_reads_yo_as_e_in_lower_case():
    assert rules.name_search_form("  Семёнова  ВАЛЕРИЯ ") == "семенова валерия"
    assert rules.name_search_form("ЁЛКИНА") == "елкина"


@pytest.mark.parametrize(
    ("text", "digits", "words"),
    [
        ("8 (912) 345-67-89", "89123456789", ()),
        ("4567", "4567", ()),
        ("45-67", "4567", ()),
        ("Степанова Валерия", "", ("степанова", "валерия")),
        ("Семёнова 4567", "4567", ("семенова",)),
        ("Anna-Maria 1234", "1234", ("anna-maria",)),
    ],
)
def test_lookup_query_parts(text, digits, words):
    query = rules.lookup_query_parse(text)
    assert (query.digits, query.words, query.problem) == (digits, words, "")


def test_lookup_query_email():
    assert rules.lookup_query_parse(" Anna@Example.com ").email == "anna@example.com"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("567", "“567” is too short: type at least the last 4 digits of the phone."),
        ("Иванова 12", "“Иванова 12” is too short: type at least the last 4 digits of the phone."),
        ("x", "“x” is too short: type at least two letters of the name."),
        ("- .", "“- .” is too short: type at least two letters of the name."),
        ("", "Type a phone number, a card number, an email or at least two letters of a name."),
        # Arabic-Indic digits: "too short, type letters" told the cashier the wrong thing (tester, #15)
        ("٨٩١٢٣٤٥٦٧٨٩", "“٨٩١٢٣٤٥٦٧٨٩” has digits other than 0–9: type the phone or card number with digits 0–9."),
        ("Анна 4²67", "“Анна 4²67” has digits other than 0–9: type the phone or card number with digits 0–9."),
    ],
)
def test_lookup_query_too_short_says_what_to_type(text, problem):
    assert rules.lookup_query_parse(text).problem == problem


@pytest.mark.parametrize(
    ("code", "language"), [("ru", "ru"), ("en", "en"), (" RU ", "ru"), ("En", "en"), ("", "en"), (None, "en")]
)
def test_a_language_is_a_code_of_the_settings_and_empty_is_the_shops(settings, code, language):
    settings.LANGUAGE_CODE = "en"
    assert rules.language_validate(code) == language


@pytest.mark.parametrize(
    ("code", "shown"), [("de", "de"), ("russian", "russian"), ("ru-RU", "ru-RU"), ("x" * 100, "x" * 20 + "…")]
)
def test_another_language_is_refused_naming_the_languages(code, shown):
    from customers.exceptions import InvalidLanguage

    with pytest.raises(InvalidLanguage) as exc:
        rules.language_validate(code)
    assert exc.value.message == f"“{shown}” is not one of the languages: en (English), ru (Russian)."
    assert exc.value.field == "language"
