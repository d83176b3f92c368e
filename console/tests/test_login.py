"""Logins are throttled per user name and address (django-axes), and every page carries a Content Security
Policy that allows scripts and styles from this site only (issue #11)."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

WRONG = "not-the-password"


def login(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_five_wrong_passwords_lock_the_login_and_say_until_when(client, marketing_user):
    for _ in range(4):
        assert login(client, "marketing", WRONG).status_code == 200  # the form again, with its error
    locked = login(client, "marketing", WRONG)
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "After 5 wrong passwords in a row, logging in as this user from this address is locked." in text
    assert re.search(r"Try again in 15 minutes, at \d\d:\d\d\.", text)
    # Even the right password is refused while the lock lasts.
    assert login(client, "marketing", "pw-for-tests-1").status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_user_and_address(client, marketing_user, cashier_user):
    for _ in range(5):
        login(client, "marketing", WRONG)
    assert login(Client(), "marketing", "pw-for-tests-1", address="10.0.0.2").status_code == 302  # another till
    assert login(Client(), "cashier", "pw-for-tests-1").status_code == 302  # another user, same address


def test_a_right_password_before_the_limit_starts_the_count_again(client, marketing_user):
    for _ in range(4):
        login(client, "marketing", WRONG)
    assert login(client, "marketing", "pw-for-tests-1").status_code == 302
    client.logout()
    for _ in range(4):
        assert login(client, "marketing", WRONG).status_code == 200


def test_the_admin_login_is_throttled_too(client, superuser):
    for _ in range(5):
        client.post("/admin/login/", {"username": "root", "password": WRONG}, REMOTE_ADDR="10.0.0.9")
    response = client.post("/admin/login/", {"username": "root", "password": "pw-for-tests-1"}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429


def test_pages_forbid_inline_scripts_and_styles(client, marketing_user):
    client.force_login(marketing_user)
    policy = client.get("/customers/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    page = client.get("/customers/").content.decode()
    assert not re.search(r"<script>|\sstyle=|\son(click|change|submit)=", page)


def test_trying_again_while_locked_does_not_push_the_opening_time_back(client, marketing_user):
    from axes.models import AccessAttempt

    for _ in range(5):
        login(client, "marketing", WRONG)
    locked_at = AccessAttempt.objects.get().attempt_time
    for _ in range(3):
        assert login(client, "marketing", WRONG).status_code == 429
    assert AccessAttempt.objects.get().attempt_time == locked_at
