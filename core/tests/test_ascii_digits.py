import pytest

from core.formatting import ascii_digits, integer_parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", True), ("0042", True), ("", False), ("²", False), ("1²", False), ("٣", False), ("-1", False), (" 1", False)],
)
def test_only_0_to_9_are_digits(text, expected):
    assert ascii_digits(text) is expected


@pytest.mark.parametrize("text", ["²", "1²", "٣٠", "１２"])
def test_integer_parse_refuses_non_ascii_digits(text):
    with pytest.raises(ValueError):
        integer_parse(text)


@pytest.mark.parametrize("text", ["٢٠٣٠-٠١-١٠", "２０３０-01-10", "2030-01-1٠"])
def test_a_date_typed_in_other_digits_is_refused(text):
    """Python's date parsing reads "٢٠٣٠" as 2030 (tester finding): the forms' date fields refuse it."""
    from django import forms

    from console.forms import LocalDateTimeField
    from core.forms import BoundedDateField, BoundedDateRangeField

    for field in (BoundedDateField(), LocalDateTimeField()):
        with pytest.raises(forms.ValidationError):
            field.clean(text)
    with pytest.raises(forms.ValidationError):
        BoundedDateRangeField().clean([text, "2030-02-01"])
    assert str(BoundedDateField().clean("2030-01-10")) == "2030-01-10"
    assert BoundedDateRangeField().clean(["2030-01-10", "2030-02-01"]) is not None
