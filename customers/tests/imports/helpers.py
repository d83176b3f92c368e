"""Helpers shared by the import's tests (and the console's import pages)."""

HEADER = "name,phone,email,birthday,consent_email,consent_sms,card_number,balance,notes\n"
