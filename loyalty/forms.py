from django import forms
from django.forms import modelformset_factory
from django.utils.translation import gettext_lazy as _

from .models import Tier


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Phone, card number, email or name"),
        max_length=100,
        required=True,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )


class PerksField(forms.CharField):
    """A list of perks edited as one perk per line."""

    widget = forms.Textarea(attrs={"rows": 2})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def has_changed(self, initial, data):
        return self.to_python(initial) != self.to_python(data)


class TierForm(forms.ModelForm):
    perks = PerksField(label=_("Perks (one per line)"), required=False)

    class Meta:
        model = Tier
        fields = [
            "order",
            "name",
            "code",
            "colour",
            "threshold",
            "min_purchases",
            "cashback_percent",
            "redeem_cap_percent",
            "perks",
        ]
        widgets = {
            "colour": forms.TextInput(attrs={"type": "color", "class": "form-control-color"}),
            "order": forms.NumberInput(attrs={"min": 1, "style": "width: 5rem"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = (
                "form-check-input" if isinstance(field.widget, forms.CheckboxInput) else "form-control form-control-sm"
            )
            if name == "colour":
                css += " form-control-color"
            field.widget.attrs["class"] = css
            field.widget.attrs.setdefault("aria-label", str(field.label))

    def validate_unique(self):
        # Codes and places may be swapped between tiers in one save: the service checks the whole list.
        pass


TierFormSet = modelformset_factory(Tier, form=TierForm, extra=1, can_delete=True)
