"""Phones and emails never reach a log (issue #11): the filter on every handler masks them."""

import logging

import pytest

from core.logging import PersonalDataFilter, personal_data_mask


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("lookup +7 912 345-67-89 failed", "lookup +7***89 failed"),
        ("GET /cashier/?q=89123456789 HTTP/1.1", "GET /cashier/?q=8***89 HTTP/1.1"),
        ("phone=+375291234567", "phone=+3***67"),
        ("mail anna.petrova@example.com now", "mail a***@example.com now"),
        ("purchase 1234 of 999.90 for customer 42", "purchase 1234 of 999.90 for customer 42"),
        ("card 2712345678906", "card 2***06"),
    ],
)
def test_phones_and_emails_are_masked_and_ids_and_amounts_kept(text, masked):
    assert personal_data_mask(text) == masked


def test_the_configured_handlers_mask_what_they_write(caplog):
    handler = logging.getLogger().handlers[0]
    masking = next(f for f in handler.filters if isinstance(f, PersonalDataFilter))
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "enrolled %s <%s>", ("+79123456789", "b@x.io"), None)
    assert masking.filter(record) and record.getMessage() == "enrolled +7***89 <b***@x.io>"


def test_an_expected_403_is_one_line_without_a_traceback(client, cashier_user, caplog):
    client.force_login(cashier_user)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/customers/").status_code == 403
    record = next(r for r in caplog.records if r.name == "django.request")
    handler = logging.getLogger().handlers[0]
    for f in handler.filters:
        f.filter(record)
    assert record.getMessage() == "Forbidden (Permission denied): /customers/" and record.exc_info is None


def test_the_gunicorn_access_log_leaves_out_query_strings():
    from pathlib import Path

    namespace: dict = {}
    exec((Path(__file__).resolve().parents[2] / "gunicorn.conf.py").read_text(), namespace)  # noqa: S102
    assert "%(U)s" in namespace["access_log_format"]
    assert "%(r)s" not in namespace["access_log_format"] and "%(q)s" not in namespace["access_log_format"]
