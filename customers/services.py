"""Writes for customers. Each service owns its transaction and writes its audit entry inside it."""

import datetime as dt
import random
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import ERASED, AuditAction, audit_diff, audit_record
from core.idempotency import once_per_key, request_fingerprint
from core.models import AuditEntry

from . import rules
from .events import (
    ConsentChanged,
    ConsentSource,
    CustomerEnrolled,
    CustomerErased,
    consent_changed_publish,
    customer_enrolled_publish,
    customer_erased_publish,
)
from .exceptions import CustomerError, DuplicateEmail, DuplicatePhone, UnknownReferralCode
from .imports.jobs import import_files_purge
from .models import Customer

EMAIL_MAX = Customer._meta.get_field("email").max_length
# The marketing consents a customer row holds, by channel (the messaging app's channel names).
CONSENT_FIELDS = {"email": "consent_email", "sms": "consent_sms"}
NAME_MAX = Customer._meta.get_field("name").max_length


def _email_clean(email: str | None) -> str | None:
    """The address lower-cased, None for none; CustomerError (on `email`) when no column could hold it."""
    email = (email or "").strip().lower()
    if len(email) > EMAIL_MAX:
        raise CustomerError(_("An email address can have at most %(n)s characters.") % {"n": EMAIL_MAX}, field="email")
    return email or None


def _name_clean(name: str | None) -> str:
    """The name trimmed; CustomerError (on `name`) when it is empty or longer than the column holds."""
    name = (name or "").strip()
    if not name:
        raise CustomerError(_("Enter the customer's name."), field="name")
    if len(name) > NAME_MAX:
        raise CustomerError(_("A name can have at most %(n)s characters.") % {"n": NAME_MAX}, field="name")
    return name


def _taken_check(phone: str, email: str | None) -> None:
    """Raise DuplicatePhone / DuplicateEmail when a customer already has this phone (E.164) or email."""
    if Customer.objects.filter(phone=phone).exists():
        raise DuplicatePhone(_("A customer with phone %(phone)s already exists.") % {"phone": phone})
    if email and Customer.objects.filter(email=email).exists():
        raise DuplicateEmail(_("A customer with email %(email)s already exists.") % {"email": email})


def _unique_value(generate, field: str) -> str:
    for _attempt in range(20):
        value = generate()
        if not Customer.objects.filter(**{field: value}).exists():
            return value
    raise RuntimeError(f"could not generate a unique {field}")  # pragma: no cover - 10^10 space


def customer_enrol(
    *,
    name: str,
    phone: str,
    email: str | None = None,
    birthday: dt.date | None = None,
    consent_email: bool = False,
    consent_sms: bool = False,
    referral_code: str | None = None,
    notes: str = "",
    card_number: str | None = None,
    language: str | None = None,
    idempotency_key: str | None = None,
    actor: Any = None,
    origin: str = "",
    now: dt.datetime | None = None,
    rng: random.Random | None = None,
) -> Customer:
    """Enrol a customer. Raises a CustomerError subclass (with `.field`) on bad input: InvalidPhone,
    DuplicatePhone, DuplicateEmail, UnknownReferralCode, InvalidCardNumber, InvalidBirthday,
    InvalidLanguage.

    `language` is the language of the customer's messages, a code of settings.LANGUAGES; None or "" is the
    shop's, settings.LANGUAGE_CODE (customers.rules.language_validate).

    With `idempotency_key`, a retried enrolment returns the customer the first call created; the same
    key with other details (name, phone, email, birthday, consents, referral code, card, a language given)
    raises IdempotencyConflict (core.idempotency.once_per_key).
    """
    name = _name_clean(name)
    phone_e164 = rules.phone_normalize(phone)
    email = _email_clean(email)
    referral_code = (referral_code or "").strip().upper() or None
    if card_number:
        card_number = rules.card_number_validate(card_number)
    birthday = rules.birthday_validate(birthday, today=timezone.localdate())
    language_given = bool(language)
    language = rules.language_validate(language)
    request = {
        "name": name,
        "phone": phone_e164,
        "email": email,
        "birthday": birthday.isoformat() if birthday else None,
        "consent_email": bool(consent_email),
        "consent_sms": bool(consent_sms),
        "referral_code": referral_code,
        "card_number": card_number or None,
    }
    if language_given:  # only then: keys stored before customers had a language keep their fingerprint
        request["language"] = language
    fingerprint = request_fingerprint(request)

    def create(_locked: Any) -> Customer:
        _taken_check(phone_e164, email)
        referrer = None
        if referral_code:
            referrer = Customer.objects.filter(referral_code=referral_code).first()
            if referrer is None:
                raise UnknownReferralCode(_("Referral code “%(code)s” is unknown.") % {"code": referral_code})
        card = card_number or _unique_value(lambda: rules.card_number_generate(rng=rng), "card_number")
        customer = Customer.objects.create(
            name=name,
            phone=phone_e164,
            email=email,
            birthday=birthday,
            consent_email=consent_email,
            consent_sms=consent_sms,
            referral_code=_unique_value(lambda: rules.referral_code_generate(rng=rng), "referral_code"),
            referred_by=referrer,
            notes=notes,
            language=language,
            card_number=card,
            created_at=now or timezone.now(),
            enrol_key=idempotency_key or None,
            enrol_fingerprint=fingerprint if idempotency_key else "",
        )
        audit_record(
            action=AuditAction.CUSTOMER_ENROL,
            obj=customer,
            summary=_("Enrolled %(name)s, card %(card)s") % {"name": name, "card": card},
            actor=actor,
            origin=origin,
            changes={"name": name, "card_number": card},
            at=now,
        )
        source = ConsentSource.API if origin.startswith("api:") else ConsentSource.ENROLMENT
        for channel, given in (("email", consent_email), ("sms", consent_sms)):
            if given:
                consent_changed_publish(
                    ConsentChanged(
                        customer_ids=(customer.pk,), channel=channel, granted=True, source=source,
                        actor=actor, origin=origin, at=customer.created_at,
                    )
                )  # fmt: skip
        customer_enrolled_publish(CustomerEnrolled(customer_id=customer.pk, at=customer.created_at, origin=origin))
        return customer

    try:
        return once_per_key(
            model=Customer,
            key=idempotency_key,
            fingerprint=fingerprint,
            create=create,
            replay=lambda earlier: earlier,
            key_field="enrol_key",
            fingerprint_field="enrol_fingerprint",
        )
    except IntegrityError:
        # Lost a race with a concurrent enrolment of the same phone or email: report it as the checks would.
        _taken_check(phone_e164, email)
        raise


EDITABLE_FIELDS = ("name", "phone", "email", "birthday", "consent_email", "consent_sms", "language", "notes")


def customer_update(*, customer: Customer, actor: Any = None, origin: str = "", **fields: Any) -> Customer:
    """Change a customer's profile (`fields`: any of EDITABLE_FIELDS); the audit entry
    (`customer.update`) records old → new for each changed field, nothing is written when none changed.
    Raises TypeError for a field not in EDITABLE_FIELDS, and on bad input a CustomerError subclass with its
    `.field`: InvalidPhone, DuplicatePhone, DuplicateEmail, InvalidBirthday, InvalidLanguage (a `language`
    not in settings.LANGUAGES; "" is the shop's language), CustomerError for an empty or too long name or
    email. A change of a consent is published (ConsentChanged, source staff) in the same transaction."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    if "name" in fields:
        fields["name"] = _name_clean(fields["name"])
    if "phone" in fields:
        fields["phone"] = rules.phone_normalize(fields["phone"])
        if Customer.objects.filter(phone=fields["phone"]).exclude(pk=customer.pk).exists():
            raise DuplicatePhone(_("A customer with phone %(phone)s already exists.") % {"phone": fields["phone"]})
    if "birthday" in fields:
        fields["birthday"] = rules.birthday_validate(fields["birthday"], today=timezone.localdate())
    if "language" in fields:
        fields["language"] = rules.language_validate(fields["language"])
    if "email" in fields:
        fields["email"] = _email_clean(fields["email"])
        if fields["email"] and Customer.objects.filter(email=fields["email"]).exclude(pk=customer.pk).exists():
            raise DuplicateEmail(_("A customer with email %(email)s already exists.") % {"email": fields["email"]})
    changes = audit_diff({field: getattr(customer, field) for field in fields}, fields)
    for field in changes:
        setattr(customer, field, fields[field])
    if not changes:
        return customer
    with transaction.atomic():
        customer.save(update_fields=list(changes))
        audit_record(
            action=AuditAction.CUSTOMER_UPDATE,
            obj=customer,
            summary=_("Changed %(fields)s of %(name)s") % {"fields": ", ".join(changes), "name": customer.name},
            actor=actor,
            origin=origin,
            changes=changes,
        )
        _consents_publish(
            customer_ids=(customer.pk,),
            changed={channel: fields[field] for channel, field in CONSENT_FIELDS.items() if field in changes},
            source=ConsentSource.STAFF,
            actor=actor,
            origin=origin,
            at=timezone.now(),
        )
    return customer


def _consents_publish(
    *, customer_ids: tuple[int, ...], changed: dict[str, bool], source: str, actor: Any, origin: str, at: dt.datetime
) -> None:
    """Publish ConsentChanged for each channel in `changed` ({channel: granted}); inside the change's transaction."""
    for channel, granted in changed.items():
        consent_changed_publish(
            ConsentChanged(
                customer_ids=customer_ids, channel=channel, granted=bool(granted), source=source,
                actor=actor, origin=origin, at=at,
            )
        )  # fmt: skip


def customer_consent_set(
    *,
    customer_id: int,
    channel: str,
    granted: bool,
    source: str,
    actor: Any = None,
    origin: str = "",
    note: str = "",
    now: dt.datetime | None = None,
) -> bool:
    """Give or withdraw a customer's marketing consent for `channel` ("email" or "sms"), the one way the
    apps above (messaging: an unsubscribe link, a STOP reply) change it. `source` is a ConsentSource value
    (how it was given or withdrawn), `note` free text kept in the history (e.g. the STOP reply's text).

    One transaction, the customer row locked: the boolean changes, an audit entry (`customer.consent`) is
    written and ConsentChanged is published so the history records it. Returns True when the consent
    changed, False when it already was `granted` (nothing written). Raises KeyError for another channel,
    Customer.DoesNotExist for an unknown id."""
    field = CONSENT_FIELDS[channel]
    now = now or timezone.now()
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        old = getattr(customer, field)
        if old == bool(granted):
            return False
        setattr(customer, field, bool(granted))
        customer.save(update_fields=[field])
        audit_record(
            action=AuditAction.CUSTOMER_CONSENT,
            obj=customer,
            summary=_("Marketing consent of %(name)s changed: %(fields)s") % {"name": customer.name, "fields": field},
            actor=actor,
            origin=origin,
            changes={field: [old, bool(granted)], "source": source},
            at=now,
        )
        consent_changed_publish(
            ConsentChanged(
                customer_ids=(customer.pk,), channel=channel, granted=bool(granted), source=source,
                actor=actor, origin=origin, at=now, note=note,
            )
        )  # fmt: skip
    return True


def customer_purchase_dates_touch(*, customer_id: int, at: dt.datetime) -> None:
    """Widen the customer's first/last purchase dates to include `at` (called by loyalty services)."""
    if connection.vendor == "postgresql":  # the same statement as SQL: on every purchase (issue #16)
        with connection.cursor() as cursor:
            cursor.execute(*customer_purchase_dates_touch_sql(customer_id=customer_id, at=at))
        return
    when = Value(at)
    Customer.objects.filter(pk=customer_id).update(
        first_purchase_at=Least(Coalesce(F("first_purchase_at"), when), when),
        last_purchase_at=Greatest(Coalesce(F("last_purchase_at"), when), when),
    )


def customer_purchase_dates_touch_sql(*, customer_id: int, at: dt.datetime) -> tuple[str, list]:
    """(SQL, parameters) of customer_purchase_dates_touch on PostgreSQL: one UPDATE, no RETURNING, for a
    loyalty service that sends it in a statement of its own writes (a purchase's closing statement, issue #16)."""
    return (
        f"UPDATE {Customer._meta.db_table} SET first_purchase_at = LEAST(COALESCE(first_purchase_at, %s), %s), "  # noqa: S608
        "last_purchase_at = GREATEST(COALESCE(last_purchase_at, %s), %s) WHERE id = %s",
        [at, at, at, at, customer_id],
    )


def customer_purchase_dates_touch_many(moments: list[tuple[int, dt.datetime]]) -> None:
    """customer_purchase_dates_touch for many purchases at once: [(customer id, the purchase's moment), …]
    (a batch of late purchases, issue #16). One UPDATE for all the customers on PostgreSQL."""
    spans: dict[int, list[dt.datetime]] = {}
    for customer_id, at in moments:
        span = spans.setdefault(int(customer_id), [at, at])
        span[0], span[1] = min(span[0], at), max(span[1], at)
    if not spans:
        return
    if connection.vendor != "postgresql":
        for customer_id, (first, last) in spans.items():
            customer_purchase_dates_touch(customer_id=customer_id, at=first)
            customer_purchase_dates_touch(customer_id=customer_id, at=last)
        return
    ids = sorted(spans)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Customer._meta.db_table} AS c SET "  # noqa: S608 - metadata
            "first_purchase_at = LEAST(COALESCE(c.first_purchase_at, v.first), v.first), "
            "last_purchase_at = GREATEST(COALESCE(c.last_purchase_at, v.last), v.last) "
            "FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) AS v (id, first, last) WHERE c.id = v.id",
            [ids, [spans[i][0] for i in ids], [spans[i][1] for i in ids]],
        )


PERSONAL_FIELDS = ("name", "phone", "email", "birthday", "notes")


def customer_personal_data(customer: Customer) -> dict[str, Any]:
    """Everything `customers` holds about a person, JSON-able (the profile; the apps above add theirs)."""
    return {
        "id": customer.pk,
        "name": customer.name,
        "phone": customer.phone,
        "email": customer.email,
        "birthday": customer.birthday.isoformat() if customer.birthday else None,
        "card_number": customer.card_number,
        "consent_email": customer.consent_email,
        "consent_sms": customer.consent_sms,
        "language": customer.language,
        "referral_code": customer.referral_code,
        "referred_by": customer.referred_by_id,
        "notes": customer.notes,
        "joined": customer.created_at.isoformat(),
        "first_purchase": customer.first_purchase_at.isoformat() if customer.first_purchase_at else None,
        "last_purchase": customer.last_purchase_at.isoformat() if customer.last_purchase_at else None,
        "erased_at": customer.erased_at.isoformat() if customer.erased_at else None,
    }


def customer_export_record(*, customer: Customer, actor: Any, origin: str = "") -> None:
    """Audit that a person's data was exported (who, when): the export itself is a read."""
    audit_record(
        action=AuditAction.CUSTOMER_EXPORT,
        obj=customer,
        summary=_("Exported the personal data of customer %(id)s") % {"id": customer.pk},
        actor=actor,
        origin=origin,
    )


def customer_erase(*, customer: Customer, actor: Any, origin: str = "", now: dt.datetime | None = None) -> Customer:
    """Erase a person's data on request (the right to erasure): name, phone, email, birthday and notes
    are replaced, consents withdrawn, the card and referral code replaced by new random ones, and the
    personal values in this customer's earlier audit entries blanked, and the stored files of finished
    customer imports removed (they may list the person); the apps above erase their copies through the
    CustomerErased event (messaging: addresses and texts of the messages). Purchases, refunds and the points
    ledger stay whole and balanced (they hold amounts and points, not the person). The phone becomes
    "+0" and the id (a number no real phone can have), so the row keeps its unique phone. Audited; a
    second call changes nothing. Returns the customer."""
    if customer.erased_at is not None:
        return customer
    now = now or timezone.now()
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        withdrawn = {channel: False for channel, field in CONSENT_FIELDS.items() if getattr(customer, field)}
        customer.name = _("Erased customer %(id)s") % {"id": customer.pk}
        customer.phone = f"+0{customer.pk:014d}"
        customer.email = None
        customer.birthday = None
        customer.notes = ""
        customer.consent_email = customer.consent_sms = False
        customer.card_number = _unique_value(rules.card_number_generate, "card_number")
        customer.referral_code = _unique_value(rules.referral_code_generate, "referral_code")
        customer.enrol_key = None
        customer.enrol_fingerprint = ""
        customer.erased_at = now
        customer.save()
        earlier = AuditEntry.objects.filter(object_type=customer._meta.label_lower, object_id=str(customer.pk))
        # Uploaded import files may hold the person too; files of finished jobs are not needed any more.
        import_files_purge(everything=True)
        for entry in earlier:
            entry.summary = _("(personal data erased)")
            entry.changes = {field: ERASED for field in entry.changes or {}}
            entry.save(update_fields=["summary", "changes"])
        audit_record(
            action=AuditAction.CUSTOMER_ERASE,
            obj=customer,
            summary=_("Erased the personal data of customer %(id)s") % {"id": customer.pk},
            actor=actor,
            origin=origin,
            at=now,
        )
        _consents_publish(
            customer_ids=(customer.pk,),
            changed=withdrawn,
            source=ConsentSource.ERASURE,
            actor=actor,
            origin=origin,
            at=now,
        )
        customer_erased_publish(CustomerErased(customer_id=customer.pk))
    return customer
