"""The till's forms: search, receipt lookup, purchase, refund and enrolment."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.forms import LocalDecimalField, LocalIntegerField, idempotency_key_field
from customers.models import language_default
from loyalty.rules import MAX_POINTS


class CashierSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Phone, card, email or name"),
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "class": "form-control form-control-lg",
                "placeholder": _("Phone, card, email or name"),
                "enterkeyhint": "search",
            }
        ),
    )


class ReceiptSearchForm(forms.Form):
    receipt = forms.CharField(
        label=_("Receipt number"),
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": _("Receipt number")}),
    )


# Twenty digits typed or scanned: say the amount is too large, not how many digits are allowed.
AMOUNT_TOO_LARGE = {"max_digits": _("Amount is too large."), "max_whole_digits": _("Amount is too large.")}


class PurchaseForm(forms.Form):
    amount = LocalDecimalField(
        label=_("Amount"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages=AMOUNT_TOO_LARGE,
        widget=forms.TextInput(attrs={"class": "form-control form-control-lg"}),
    )
    redeem_points = LocalIntegerField(
        label=_("Pay with points"),
        min_value=0,
        # the most points one operation names (README: 10^15), said as the purchase service says it
        max_value=MAX_POINTS,
        error_messages={"max_value": _("Points value is too large.")},
        required=False,  # empty: no points
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "0"}),
    )
    # The whole check in one category ("Shoes"), so that a boost on that category applies (issue #15):
    # sent to the purchase and the quote as one line of the whole amount. Empty: no category.
    category = forms.CharField(
        label=_("Category (optional)"),
        max_length=100,
        required=False,
        help_text=_("The whole check in one category, e.g. “Shoes”: boosts on that category apply to it."),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    external_id = forms.CharField(
        label=_("Receipt number (optional)"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    idempotency_key = idempotency_key_field()


class RefundForm(forms.Form):
    """A refund of part of a purchase (an amount) or of all that remains: two buttons, `scope` "amount" or
    "rest", so that refunding everything is a choice the cashier makes, never what an empty field does."""

    AMOUNT, REST = "amount", "rest"

    amount = LocalDecimalField(
        label=_("Amount to refund"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        error_messages=AMOUNT_TOO_LARGE,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    scope = forms.ChoiceField(choices=[(AMOUNT, _("This amount")), (REST, _("The rest of the purchase"))])
    idempotency_key = idempotency_key_field()

    def clean(self):
        data = super().clean()
        if data.get("scope") == self.REST:
            data["amount"] = None  # the service refunds whatever remains
        elif data.get("scope") == self.AMOUNT and data.get("amount") is None and "amount" not in self.errors:
            self.add_error("amount", _("Enter the amount to refund, or choose “Refund the rest”."))
        return data


class EnrolForm(forms.Form):
    phone = forms.CharField(label=_("Phone"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    name = forms.CharField(label=_("Name"), max_length=200)
    birthday = forms.DateField(
        label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    email = forms.EmailField(label=_("Email"), required=False)
    consent_sms = forms.BooleanField(label=_("Agrees to SMS offers"), required=False)
    consent_email = forms.BooleanField(label=_("Agrees to email offers"), required=False)
    # The language of the customer's messages: the shop's (settings.LANGUAGE_CODE) preselected; a request
    # without it enrols in the shop's language too, as the API and the import do.
    language = forms.ChoiceField(
        label=_("Language of messages"), choices=lambda: settings.LANGUAGES, initial=language_default, required=False
    )
    referral_code = forms.CharField(label=_("Friend's referral code"), max_length=12, required=False)
    idempotency_key = idempotency_key_field()
