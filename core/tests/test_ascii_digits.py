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
