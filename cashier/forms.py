"""The till's forms: search, receipt lookup, purchase, refund and enrolment."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import idempotency_key_field


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


class PurchaseForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "class": "form-control form-control-lg"}
        ),
    )
    redeem_points = forms.IntegerField(
        label=_("Pay with points"),
        min_value=0,
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "class": "form-control", "inputmode": "numeric"}),
    )
    external_id = forms.CharField(
        label=_("Receipt number (optional)"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    idempotency_key = idempotency_key_field()


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount to refund (empty: the rest of the purchase)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "form-control"}),
    )
    idempotency_key = idempotency_key_field()


class EnrolForm(forms.Form):
    phone = forms.CharField(label=_("Phone"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    name = forms.CharField(label=_("Name"), max_length=200)
    birthday = forms.DateField(
        label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    email = forms.EmailField(label=_("Email"), required=False)
    consent_sms = forms.BooleanField(label=_("Agrees to SMS offers"), required=False)
    consent_email = forms.BooleanField(label=_("Agrees to email offers"), required=False)
    referral_code = forms.CharField(label=_("Friend's referral code"), max_length=12, required=False)
    idempotency_key = idempotency_key_field()
