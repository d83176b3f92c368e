import datetime as dt

import pytest

from messaging import rules

from .conftest import SHOP, local


def release(text: str, start: int = 21, end: int = 9):
    return rules.quiet_hours_release(local(text), start=start, end=end, zone=SHOP)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-03-01 20:59:59", None),
        ("2026-03-01 21:00", "2026-03-02 09:00"),  # evening: held until the next morning
        ("2026-03-01 23:59:59", "2026-03-02 09:00"),
        ("2026-03-02 00:00", "2026-03-02 09:00"),  # after midnight: the same day's morning
        ("2026-03-02 08:59:59", "2026-03-02 09:00"),
        ("2026-03-02 09:00", None),
        ("2026-03-02 12:00", None),
        ("2026-12-31 22:00", "2027-01-01 09:00"),  # across a year's end
    ],
)
def test_quiet_hours_around_midnight_on_the_shops_clock(at, expected):
    assert release(at) == (local(expected) if expected else None)


def test_a_moment_in_another_zone_is_read_on_the_shops_clock():
    # 18:30 UTC is 21:30 in Moscow: quiet; released at 09:00 Moscow = 06:00 UTC the next day.
    at = dt.datetime(2026, 3, 1, 18, 30, tzinfo=dt.UTC)
    got = rules.quiet_hours_release(at, start=21, end=9, zone=SHOP)
    assert got == dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
    # 17:59 UTC is 20:59 in Moscow: not quiet, although it is later than 21:00 nowhere near UTC.
    assert rules.quiet_hours_release(dt.datetime(2026, 3, 1, 17, 59, tzinfo=dt.UTC), start=21, end=9, zone=SHOP) is None


def test_quiet_hours_within_one_day_and_none():
    assert release("2026-03-01 13:30", start=13, end=15) == local("2026-03-01 15:00")
    assert release("2026-03-01 15:00", start=13, end=15) is None
    assert release("2026-03-01 23:00", start=9, end=9) is None  # start == end: never quiet
    with pytest.raises(ValueError):
        release("2026-03-01 23:00", start=24, end=9)


def test_retry_delays_double_up_to_six_hours():
    assert [rules.retry_delay_seconds(n, base=60) for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert rules.retry_delay_seconds(30, base=60) == 6 * 3600


def test_signature_is_hmac_sha256_of_the_body():
    # Worked out with: printf '{"a":1}' | openssl dgst -sha256 -hmac s3cret
    assert rules.signature("s3cret", b'{"a":1}') == (
        "sha256=5910e62016ef5034272c926c27071992a465c2335cecf41851bda071577f4f6d"
    )
    good = rules.signature("s3cret", b"body")
    assert rules.signature_valid("s3cret", b"body", good)
    assert not rules.signature_valid("s3cret", b"body!", good)
    assert not rules.signature_valid("other", b"body", good)
    assert not rules.signature_valid("", b"body", rules.signature("", b"body"))  # no secret: nothing passes
    assert not rules.signature_valid("s3cret", b"body", None)


def test_signature_hex_in_upper_case_is_the_same_signature():
    # The hex digits of the worked example above, upper-cased: a gateway that prints hex in capitals.
    upper = "sha256=5910E62016EF5034272C926C27071992A465C2335CECF41851BDA071577F4F6D"
    assert rules.signature_valid("s3cret", b'{"a":1}', upper)
    assert not rules.signature_valid("s3cret", b'{"a":1}', "SHA256=" + upper[7:].lower())  # the prefix is exact


def test_a_signature_with_a_non_ascii_character_is_refused_not_an_error():
    good = rules.signature("s3cret", b"body")
    assert not rules.signature_valid("s3cret", b"body", good[:-1] + "é")
    assert not rules.signature_valid("s3cret", b"body", "é")


@pytest.mark.parametrize(("text", "stop"), [("STOP", True), (" stop ", True), ("Стоп", True), ("СТОП!", True),
                                            ("unsubscribe", True), ("stop please", False), ("", False), (None, False)])  # fmt: skip
def test_stop_words(text, stop):
    assert rules.is_stop(text) is stop


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("anna@example.com", "a***@example.com"),
        ("+79123456789", "+7 912 ***-**-89"),
        ("tg-123456789", "***89"),
        ("", ""),
    ],
)
def test_addresses_are_masked_for_the_console(address, masked):
    assert rules.address_mask(address) == masked


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("", ""),
        ("https://sms.example.com/send", "https://sms.example.com/send"),
        (
            "https://key:s3cret@sms.example.com:8443/send?token=abc&from=Shop",
            "https://***:***@sms.example.com:8443/send?token=***&from=***",
        ),
        ("https://abc123@gw.example.com/", "https://***@gw.example.com/"),
    ],
)
def test_a_providers_url_is_shown_without_its_credentials_or_query_values(url, shown):
    assert rules.url_mask(url) == shown
