from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ApiClient


class ApiClientCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=ApiClient._meta.get_field("name").max_length,
        help_text=_("The system that will call the API, e.g. “web-shop” or “till-2”."),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
