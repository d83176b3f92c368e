from django import forms
from django.utils.translation import gettext_lazy as _


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Phone, card number, email or name"),
        max_length=100,
        required=True,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
