"""Message templates: only the known placeholders, refused otherwise when saving; rendering; the length and
segments of an SMS (a Cyrillic segment holds 70 characters, a Latin one 160)."""

import pytest

from core.models import AuditEntry
from messaging import rules
from messaging.exceptions import MessagingError, TemplateInvalid
from messaging.models import MessageTemplate
from messaging.services import template_save


@pytest.mark.parametrize(
    ("text", "length", "segments", "encoding"),
    [
        ("", 0, 0, "GSM-7"),
        ("a" * 160, 160, 1, "GSM-7"),
        ("a" * 161, 161, 2, "GSM-7"),  # split: 153 per part
        ("a" * 306, 306, 2, "GSM-7"),
        ("a" * 307, 307, 3, "GSM-7"),
        ("я" * 70, 70, 1, "UCS-2"),
        ("я" * 71, 71, 2, "UCS-2"),  # split: 67 per part
        ("я" * 134, 134, 2, "UCS-2"),
        ("я" * 135, 135, 3, "UCS-2"),
        ("a" * 159 + "я", 160, 3, "UCS-2"),  # one Cyrillic letter makes the whole text UCS-2
        ("€" * 80, 80, 1, "GSM-7"),  # an extension character counts 2
        ("€" * 81, 81, 2, "GSM-7"),
        ("😀" * 35, 35, 1, "UCS-2"),  # an emoji is 2 UTF-16 units
        ("😀" * 36, 36, 2, "UCS-2"),
    ],
)
def test_sms_length_and_segments(text, length, segments, encoding):
    assert rules.sms_size(text) == rules.SmsSize(length, segments, encoding)


def test_a_real_notice_in_russian_and_in_english():
    ru = "Анна, вам начислено 50 баллов. Баланс: 1 250 баллов. 300 баллов сгорят 12.12.2026."
    assert rules.sms_size(ru) == rules.SmsSize(len(ru), 2, "UCS-2")  # 83 characters: over 70
    en = "Anna, you earned 50 points. Balance: 1,250 points. 300 points burn on 12 Dec 2026."
    assert rules.sms_size(en) == rules.SmsSize(len(en), 1, "GSM-7")


def test_placeholders_and_rendering():
    text = "{name}, +{points} ({{bonus}}). {name}"
    assert rules.template_placeholders(text) == ["name", "points"]
    assert rules.template_render(text, {"name": "Anna", "points": "50 points"}) == "Anna, +50 points ({bonus}). Anna"
    with pytest.raises(KeyError):
        rules.template_render("{tier}", {})
    assert rules.template_unknown_placeholders("{name} {discount} {bonus}") == ["discount", "bonus"]


def test_a_template_with_unknown_placeholders_is_refused_and_nothing_is_written(marketing_user):
    with pytest.raises(TemplateInvalid) as refused:
        template_save(
            kind="points_earned", channel="sms", language="ru", body="{name}: +{pointz}", actor=marketing_user
        )
    assert refused.value.field == "body"
    assert refused.value.message.startswith("Unknown placeholders: {pointz}. Use only: {name}, {points}, {balance},")
    with pytest.raises(TemplateInvalid) as refused:
        template_save(kind="k", channel="email", language="en", subject="Hi {user.name}", body="x")
    assert refused.value.field == "subject"
    assert refused.value.message.startswith("“{user.name}” is not a placeholder: braces must enclose a name")
    with pytest.raises(TemplateInvalid) as refused:
        template_save(kind="k", channel="sms", language="en", body="50% off {")
    assert refused.value.message == (
        "A brace opens or closes nothing: braces must enclose a placeholder such as {name}; write {{ and }} for a "
        "brace itself."
    )  # Python's own words ("Single '{' encountered in format string") are not the user's
    for bad in ({"channel": "fax"}, {"language": "de"}, {"kind": " "}):
        with pytest.raises(MessagingError):
            template_save(**{"kind": "k", "channel": "sms", "language": "en", "body": "x", **bad})
    assert MessageTemplate.objects.count() == 0 and not AuditEntry.objects.exists()


def test_a_template_is_saved_once_per_kind_channel_and_language_and_audited(marketing_user):
    first = template_save(
        kind="points_earned",
        channel="sms",
        language="ru",
        body="{name}, +{points}",
        actor=marketing_user,
        origin="console",
    )
    again = template_save(
        kind="points_earned", channel="sms", language="ru", body="{name}: +{points}. {shop}", actor=marketing_user
    )
    assert again.pk == first.pk and again.body == "{name}: +{points}. {shop}"
    template_save(kind="points_earned", channel="sms", language="ru", body="{name}: +{points}. {shop}")  # unchanged
    english = template_save(kind="points_earned", channel="sms", language="en", body="{name}, +{points}")
    assert english.pk != first.pk
    entries = AuditEntry.objects.filter(action="message_template.save").order_by("id")
    assert [e.changes["body"] for e in entries] == [
        ["", "{name}, +{points}"],
        ["{name}, +{points}", "{name}: +{points}. {shop}"],
        ["", "{name}, +{points}"],
    ]
    assert entries[0].actor == marketing_user
