"""One row → one unsaved Customer, or its problems: a django-import-export Resource and its widgets."""

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from import_export import resources, widgets
from import_export.fields import Field

from core.formatting import integer_parse, points_format

from .. import rules as customer_rules
from ..exceptions import InvalidBirthday, InvalidLanguage, InvalidPhone
from ..models import Customer
from .checks import SEEN_ATTRIBUTES
from .results import (
    COLUMNS,
    DOTTED_DATE,
    EMAIL_MAX,
    FALSE_VALUES,
    ISO_DATE,
    PROGRESS_EVERY,
    TRUE_VALUES,
    ImportRow,
    Problem,
    import_limits,
)


class TextWidget(widgets.Widget):
    def __init__(self, *, max_length: int, required_message: Any = None) -> None:
        super().__init__()
        self.max_length = max_length
        self.required_message = required_message

    def clean(self, value, row=None, **kwargs):
        text = (value or "").strip()
        if not text and self.required_message:
            raise ValueError(str(self.required_message))  # lazy: translated in the uploader's language
        if len(text) > self.max_length:
            raise ValueError(_("Longer than %(n)s characters.") % {"n": self.max_length})
        return text


class PhoneWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        try:
            return customer_rules.phone_normalize(value or "")
        except InvalidPhone as exc:
            raise ValueError(exc.message) from None


class EmailWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        email = (value or "").strip().lower()
        if not email:
            return None
        if len(email) > EMAIL_MAX:
            raise ValueError(_("Longer than %(n)s characters.") % {"n": EMAIL_MAX})
        try:
            validate_email(email)
        except ValidationError:
            raise ValueError(_("“%(email)s” is not a valid email address.") % {"email": email}) from None
        return email


class BirthdayWidget(widgets.Widget):
    """YYYY-MM-DD or DD.MM.YYYY (regular expressions: strptime costs seconds over 100 000 rows)."""

    def __init__(self) -> None:
        super().__init__()
        self.today = timezone.localdate()

    def clean(self, value, row=None, **kwargs):
        text = (value or "").strip()
        if not text:
            return None
        day = None
        if match := ISO_DATE.fullmatch(text):
            year, month, day_of_month = match.groups()
        elif match := DOTTED_DATE.fullmatch(text):
            day_of_month, month, year = match.groups()
        if match:
            try:
                day = dt.date(int(year), int(month), int(day_of_month))
            except ValueError:
                pass
        if day is None:
            raise ValueError(_("“%(date)s” is not a date: use YYYY-MM-DD or DD.MM.YYYY.") % {"date": text})
        try:
            return customer_rules.birthday_validate(day, today=self.today)
        except InvalidBirthday as exc:
            raise ValueError(exc.message) from None


class ConsentWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = (value or "").strip().lower()
        if text in TRUE_VALUES:
            return True
        if text in FALSE_VALUES:
            return False
        raise ValueError(_("“%(value)s” is not a yes/no value: use 1/0, yes/no or да/нет.") % {"value": value})


class LanguageWidget(widgets.Widget):
    """A code of settings.LANGUAGES ("ru", "RU", " en "); empty is the shop's language (customers.rules.language_validate)."""

    def clean(self, value, row=None, **kwargs):
        try:
            return customer_rules.language_validate(value)
        except InvalidLanguage as exc:
            raise ValueError(exc.message) from None


class CardNumberWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return "".join((value or "").split()).replace("-", "")


class BalanceWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = (value or "").strip()
        if not text:
            return 0
        try:
            points = integer_parse(text)  # "1 000" as a spreadsheet in the uploader's language writes it
        except ValueError:
            raise ValueError(_("“%(value)s” is not a whole number of points.") % {"value": text}) from None
        if points < 0:
            raise ValueError(_("The opening balance cannot be negative (%(value)s).") % {"value": text})
        largest = import_limits().max_opening_balance
        if points > largest:
            raise ValueError(
                ngettext(
                    "The opening balance %(value)s is above the largest allowed, %(max)s point.",
                    "The opening balance %(value)s is above the largest allowed, %(max)s points.",
                    largest,
                )
                % {"value": text, "max": points_format(largest)}
            )
        return points


class CustomerImportResource(resources.ModelResource):
    """Parses and validates rows; never saves. `save_instance` collects each valid row as an unsaved
    Customer (with `opening_balance`) into `self.valid`; the service writes them set-based. `valid`,
    `keys` and `warnings` hold one chunk's rows: the service empties them after each chunk."""

    name = Field(
        attribute="name",
        column_name="name",
        widget=TextWidget(max_length=200, required_message=gettext_lazy("Enter the customer's name.")),
    )
    phone = Field(attribute="phone", column_name="phone", widget=PhoneWidget())
    email = Field(attribute="email", column_name="email", widget=EmailWidget())
    birthday = Field(attribute="birthday", column_name="birthday", widget=BirthdayWidget())
    consent_email = Field(attribute="consent_email", column_name="consent_email", widget=ConsentWidget())
    consent_sms = Field(attribute="consent_sms", column_name="consent_sms", widget=ConsentWidget())
    language = Field(attribute="language", column_name="language", widget=LanguageWidget())
    card_number = Field(attribute="card_number", column_name="card_number", widget=CardNumberWidget())
    balance = Field(attribute="opening_balance", column_name="balance", widget=BalanceWidget())
    notes = Field(attribute="notes", column_name="notes", widget=TextWidget(max_length=5000))

    class Meta:
        model = Customer
        fields = COLUMNS  # the declared fields below (import-export 4 ignores declared fields not listed)
        force_init_instance = True  # every row is a new customer: no per-row lookup query
        skip_diff = True
        use_transactions = False  # nothing is written here; the job's progress updates commit as they go
        clean_model_instances = False  # the widgets validate; uniqueness is checked set-based afterwards

    def __init__(self, *, row_numbers: Sequence[int], progress: Callable[[int], None] | None = None) -> None:
        super().__init__()
        self.row_numbers = row_numbers
        self.offset = 0  # rows of the file before the chunk being imported (the service checks in chunks)
        self.progress = progress
        self.valid: list[ImportRow] = []
        self.warnings: list[Problem] = []
        self.column_of = {f.attribute: f.column_name for f in self.fields.values()}
        # (attribute, value, row) of the chunk's phones, e-mails and card numbers, for SeenValues.repeated
        self.keys: list[tuple[str, str, int]] = []
        self._import_fields = None

    def init_instance(self, row=None):
        customer = Customer()
        customer.opening_balance = 0  # not a model field: the row's opening points, 0 when none
        return customer

    def import_row(self, row, instance_loader, **kwargs):
        row_result = super().import_row(row, instance_loader, **kwargs)
        if self.progress and (self.offset + kwargs["row_number"]) % PROGRESS_EVERY == 0:
            self.progress(self.offset + kwargs["row_number"])
        return row_result

    def import_instance(self, instance, row, **kwargs):
        """The widgets' checks; the row's phone, e-mail and card number are noted in `keys` for the check
        across rows (SeenValues), which the service runs on the whole chunk."""
        row_number = self.row_numbers[self.offset + kwargs["row_number"] - 1]
        errors: dict[str, Any] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        card = instance.card_number
        if card and "card_number" not in errors and not customer_rules.card_number_is_valid(card):
            self.warnings.append(
                Problem(
                    row_number,
                    "card_number",
                    _("“%(card)s” is not a valid 13-digit card number: a new card will be issued.") % {"card": card},
                )
            )
            instance.card_number = ""
        for attribute in SEEN_ATTRIBUTES:
            value = getattr(instance, attribute, None)
            if value and attribute not in errors:
                self.keys.append((attribute, value, row_number))
        if errors:
            raise ValidationError(errors)

    def get_import_fields(self):
        # import-export computes this list twice per row; it never changes for this resource.
        if self._import_fields is None:
            self._import_fields = super().get_import_fields()
        return self._import_fields

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        if import_validation_errors:
            raise ValidationError(import_validation_errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        row_number = self.row_numbers[self.offset + kwargs["row_number"] - 1]
        self.valid.append(
            ImportRow(
                row=row_number, name=instance.name, phone=instance.phone, email=instance.email,
                birthday=instance.birthday, consent_email=instance.consent_email,
                consent_sms=instance.consent_sms, language=instance.language, card_number=instance.card_number,
                notes=instance.notes,
                balance=instance.opening_balance,
            )
        )  # fmt: skip

    def after_import(self, dataset, result, **kwargs):
        pass  # ModelResource would reset the id sequence after saving; this resource saves nothing

    def problems(self, result) -> list[Problem]:
        """The row problems import-export collected, as Problems with spreadsheet row numbers."""
        problems = []
        for invalid in result.invalid_rows:
            row_number = self.row_numbers[self.offset + invalid.number - 1]
            for attribute, messages in invalid.error_dict.items():
                column = "" if attribute == NON_FIELD_ERRORS else self.column_of.get(attribute, attribute)
                problems.extend(Problem(row_number, column, message) for message in messages)
        for number, errors in result.row_errors():
            problems.extend(
                Problem(self.row_numbers[self.offset + number - 1], "", str(error.error)) for error in errors
            )
        problems.extend(Problem(1, "", str(error.error)) for error in result.base_errors)
        return problems
