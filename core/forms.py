"""Helpers for forms that call services, and the number fields every form uses."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django_filters import DateFromToRangeFilter
from django_filters.fields import DateRangeField

from .exceptions import DomainError
from .formatting import foreign_digits, integer_parse, number_parse


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's DomainError on the form: on its field when the form has it, else above the form."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


# The dates a form accepts: wide enough for any birthday, purchase or target, narrow enough that a day
# before or after, a period before it, or the day's midnight in any time zone is still a datetime
# (0001-01-01 or 9999-12-31 overflow as soon as they meet a time zone or a timedelta: a 500, not an error).
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2999, 12, 31)


def date_within_bounds(value: dt.date | None) -> None:
    """Refuse a date outside DATE_MIN..DATE_MAX with a ValidationError in the reader's language (None passes:
    "no date" is the field's own business)."""
    if value is not None and not DATE_MIN <= value <= DATE_MAX:
        raise ValidationError(
            _("Enter a date between %(min)s and %(max)s.")
            % {"min": date_format(DATE_MIN, "SHORT_DATE_FORMAT"), "max": date_format(DATE_MAX, "SHORT_DATE_FORMAT")},
            code="date_out_of_range",
        )


def latin_digits_only(field: forms.Field, value) -> None:
    """Refuse a typed date whose digits are not the ASCII 0-9 with the field's "invalid" message: Python's
    date parsing reads "٢٠٣٠" (Arabic-Indic) as 2030, a date nobody typed at a Latin keypad (tester finding;
    core.formatting.ascii_digits is the same rule for numbers)."""
    if isinstance(value, str) and foreign_digits(value):
        raise ValidationError(field.error_messages["invalid"], code="invalid")


class BoundedDateField(forms.DateField):
    """A DateField that refuses dates outside DATE_MIN..DATE_MAX (date_within_bounds) and digits that are
    not ASCII (latin_digits_only)."""

    default_validators = [date_within_bounds]

    def to_python(self, value):
        latin_digits_only(self, value)
        return super().to_python(value)


class BoundedDateRangeField(DateRangeField):
    """django-filter's from–to date range whose two dates are refused outside DATE_MIN..DATE_MAX, and
    refused when the first is after the second (a reversed range selected nothing, silently)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields:
            field.validators.append(date_within_bounds)

    def clean(self, value):
        for part, field in zip(value or [], self.fields, strict=False):
            latin_digits_only(field, part)
        return super().clean(value)

    def compress(self, data_list):
        if data_list and all(data_list) and data_list[0] > data_list[1]:
            raise forms.ValidationError(_("The first date is after the second."), code="reversed")
        return super().compress(data_list)


class BoundedDateFromToRangeFilter(DateFromToRangeFilter):
    """DateFromToRangeFilter with BoundedDateRangeField: "0001-01-01" is a form error, not a 500."""

    field_class = BoundedDateRangeField


def idempotency_key_field() -> forms.CharField:
    """A hidden field for the key that makes a form safe to submit twice (`core.idempotency`): the view
    fills it with a fresh key when it shows the form, so a double click or a resubmitted form sends the
    same key again and the service replays instead of acting twice. At most 64 characters, leaving room
    for the caller's prefix ("till:") within the 100 a key column holds."""
    return forms.CharField(widget=forms.HiddenInput, max_length=64)


class _LocalMaxValueValidator(MaxValueValidator):
    def __call__(self, value):
        if self.compare(value, self.limit_value):
            raise ValidationError(self.message, code=self.code, params={"limit_value": _grouped(self.limit_value)})


class _LocalMinValueValidator(MinValueValidator):
    def __call__(self, value):
        if self.compare(value, self.limit_value):
            raise ValidationError(self.message, code=self.code, params={"limit_value": _grouped(self.limit_value)})


def _grouped(number) -> str:
    return number_format(number, force_grouping=True)


def _bound_localized(validator):
    """A Max/MinValueValidator with a fixed limit as one whose message shows the limit grouped in the
    active language's format; any other validator unchanged."""
    if type(validator) is MaxValueValidator and not callable(validator.limit_value):
        return _LocalMaxValueValidator(validator.limit_value, validator.message)
    if type(validator) is MinValueValidator and not callable(validator.limit_value):
        return _LocalMinValueValidator(validator.limit_value, validator.message)
    return validator


class _TypedAsPeopleType:
    """What the two number fields share: a text input (a number input refuses spaces and, in some
    browsers, the comma) with the phone keypad `inputmode`, values shown in the language's format, and
    text read by `parse` (a ValueError becomes the field's "invalid" error)."""

    widget = forms.TextInput
    inputmode = "decimal"

    def __init__(self, **kwargs):
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)
        # the bounds said in the language's format ("2 147 483 647", "2,147,483,647"), not "2147483647"
        self.validators = [_bound_localized(v) for v in self.validators]

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": self.inputmode, "autocomplete": "off"}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, int | Decimal) and not isinstance(value, bool):  # a model's value, not text
            if self.native is int and value != int(value):
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            return self.native(value)
        try:
            return self.parse(str(value))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class LocalDecimalField(_TypedAsPeopleType, forms.DecimalField):
    """A decimal (money, a percentage) typed as people type it in the active language, read by
    `core.formatting.number_parse`: "999,90", "1 000" and "1 000,50" at a Russian till, "1,000.50" in
    English; shown in the language's format ("15000,00" in Russian). Django's checks (digits, decimal
    places, bounds) apply to the value read."""

    parse = staticmethod(number_parse)
    native = Decimal

    def run_validators(self, value):
        """Django's checks; a number with too many digits says the field's bounds ("Enter a number from 0 to
        100.") or, without bounds, "This number is too large." instead of "no more than 3 digits before the
        decimal point" (a tester typed 1000 in a percentage). Too many decimals keeps Django's words."""
        try:
            super().run_validators(value)
        except ValidationError as exc:
            codes = {error.code for error in exc.error_list}
            too_big = "max_whole_digits" in codes or ("max_digits" in codes and "max_decimal_places" not in codes)
            low, high = self.min_value, self.max_value
            # A form that says it in its own words (error_messages for these codes) keeps them.
            if not too_big or {"max_digits", "max_whole_digits"} & set(self.error_messages):
                raise
            if high is None:  # no bounds to say: that it is too large, not how many digits fit
                raise ValidationError(_("This number is too large."), code="too_large") from None
            if low is None:
                message = _("Enter a number no greater than %(max)s.") % {"max": _grouped(high)}
            else:
                message = _("Enter a number from %(min)s to %(max)s.") % {"min": _grouped(low), "max": _grouped(high)}
            raise ValidationError(message, code="out_of_range") from None


# The largest whole number a form takes unless told otherwise: what a PostgreSQL bigint holds. A larger
# one was passed on to the database and overflowed there (a 500) instead of being a form error.
INTEGER_MAX = 2**63 - 1


class LocalIntegerField(_TypedAsPeopleType, forms.IntegerField):
    """A whole number (points, days) typed as people type it: "1 000" as well as "1000"
    (`core.formatting.integer_parse`); a fraction is refused, and so is a number above `max_value`
    (INTEGER_MAX when none is given)."""

    parse = staticmethod(integer_parse)
    native = int
    inputmode = "numeric"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_value", INTEGER_MAX)
        super().__init__(*args, **kwargs)


def local_number_formfield(model_field: models.Field, *, say_bounds: bool = True, **kwargs) -> forms.Field | None:
    """A ModelForm's `formfield_callback`: the model's decimal and integer fields become LocalDecimalField
    and LocalIntegerField (bounds and digits kept; a decimal's fixed Min/MaxValueValidator bounds become the
    form field's, so that it says them — `say_bounds` False leaves the bounds to a service that says them its
    own way), every other field its usual form field."""
    if isinstance(model_field, models.DecimalField):
        bounds = model_field.validators if say_bounds else ()  # the model's fixed bounds, for the form to say
        for validator in bounds:
            if type(validator) is MinValueValidator and not callable(validator.limit_value):
                kwargs.setdefault("min_value", validator.limit_value)
            elif type(validator) is MaxValueValidator and not callable(validator.limit_value):
                kwargs.setdefault("max_value", validator.limit_value)
        return model_field.formfield(form_class=LocalDecimalField, **kwargs)
    if isinstance(model_field, models.IntegerField) and not model_field.choices:
        return model_field.formfield(form_class=LocalIntegerField, **kwargs)
    return model_field.formfield(**kwargs)


# --- the empty choice of optional selects ------------------------------------------------------------

EMPTY_CHOICE_LABEL = "—"  # what an optional select shows for "none", instead of Django's "---------"
_DJANGO_EMPTY_LABEL = "---------"


def empty_choices_dash(form: forms.BaseForm) -> None:
    """Show the empty choice of every optional select of `form` as "—" (EMPTY_CHOICE_LABEL): a model choice
    field's `empty_label`, and the blank choice Django puts first in a model field's choices. Labels a
    form chose itself ("Any", "None") stay."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField) and field.empty_label == _DJANGO_EMPTY_LABEL:
            field.empty_label = EMPTY_CHOICE_LABEL
        elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            choices = list(field.choices)
            if any(value == "" and label == _DJANGO_EMPTY_LABEL for value, label in choices):
                field.choices = [
                    (value, EMPTY_CHOICE_LABEL if value == "" and label == _DJANGO_EMPTY_LABEL else label)
                    for value, label in choices
                ]


class EmptyChoiceDashMixin:
    """For a form class: its optional selects show "—" for none (`empty_choices_dash`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        empty_choices_dash(self)
