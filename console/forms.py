from django import forms
from django.conf import settings
from django.forms import modelformset_factory
from django.utils.translation import gettext_lazy as _

from core.forms import LocalIntegerField, idempotency_key_field, local_number_formfield
from loyalty.models import ProgramSettings, Tier
from loyalty.services.program import SETTINGS_FIELDS

PERKS_MAX = 20  # perks of one tier
NOTES_MAX = 5000  # characters of a customer's notes (the import's bound too)
PERK_MAX = 200  # characters of one perk


class PerksField(forms.CharField):
    """A list of perks edited as one perk per line: at most PERKS_MAX perks of PERK_MAX characters."""

    widget = forms.Textarea(attrs={"rows": 2})

    def validate(self, value):
        super().validate(value)
        if len(value) > PERKS_MAX:
            raise forms.ValidationError(
                _("At most %(n)s perks, one per line (this has %(count)s).") % {"n": PERKS_MAX, "count": len(value)}
            )
        if any(len(perk) > PERK_MAX for perk in value):
            raise forms.ValidationError(_("A perk is at most %(n)s characters long.") % {"n": PERK_MAX})

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
        formfield_callback = local_number_formfield  # thresholds and rates typed as in the language: "15 000,00"
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
            "order": forms.NumberInput(attrs={"min": 1}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = (
                "form-check-input" if isinstance(field.widget, forms.CheckboxInput) else "form-control form-control-sm"
            )
            if name == "colour":
                css += " form-control-color"
            if name == "order":
                css += " tier-order"  # a narrow column (static/css/boomerang.css: no inline styles)
            field.widget.attrs["class"] = css
            field.widget.attrs.setdefault("aria-label", str(field.label))

    def validate_unique(self):
        # Codes and places may be swapped between tiers in one save: the service checks the whole list.
        pass


TierFormSet = modelformset_factory(Tier, form=TierForm, extra=1, can_delete=True)


class CustomerProfileForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=30)
    email = forms.EmailField(label=_("Email"), required=False)
    birthday = forms.DateField(
        label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    consent_email = forms.BooleanField(label=_("Email marketing consent"), required=False)
    consent_sms = forms.BooleanField(label=_("SMS marketing consent"), required=False)
    language = forms.ChoiceField(label=_("Language of messages"), choices=lambda: settings.LANGUAGES)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=NOTES_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class AdjustmentForm(forms.Form):
    points = LocalIntegerField(
        label=_("Points (+ to add, − to deduct)"),
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "+100"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.TextInput(attrs={"class": "form-control"}))
    idempotency_key = idempotency_key_field()


# --- the console: program settings -----------------------------------------------------------------


class ProgramSettingsForm(forms.ModelForm):
    class Meta:
        model = ProgramSettings
        formfield_callback = local_number_formfield  # amounts and rates typed as in the language: "10 000 000,00"
        fields = list(SETTINGS_FIELDS)
        widgets = {
            "currency": forms.Select(
                choices=[("RUB", "RUB ₽"), ("USD", "USD $"), ("EUR", "EUR €"), ("KZT", "KZT ₸"), ("BYN", "BYN Br")]
            )
        }

    BASE_RATE_FIELDS = ("base_cashback_percent", "redeem_cap_percent")

    def __init__(self, *args, entry_tier=None, **kwargs):
        """`entry_tier`: the tier every customer holds from enrolment, if any (loyalty.selectors.entry_tier).
        Then the base rates apply to nobody: their fields are shown disabled, saying why, and keep their
        stored values whatever is posted."""
        super().__init__(*args, **kwargs)
        if entry_tier is not None:
            for name in self.BASE_RATE_FIELDS:
                field = self.fields[name]
                field.disabled = True
                field.help_text = _(
                    "Applies to customers without a tier: nobody now, since every customer holds a tier "
                    "(%(tier)s starts at 0). Change the rates on the Tiers page."
                ) % {"tier": entry_tier.name}

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()


class SavedSegmentForm(forms.Form):
    """A saved segment's name and description (analytics.segment_services checks them again: unique name)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")


# --- the console: message templates and channels ---------------------------------------------------


class MessageTemplateForm(forms.Form):
    """A template's subject (email only: the view drops the field on other channels) and text; the
    placeholders are checked by messaging.services.template_save."""

    subject = forms.CharField(
        label=_("Subject"), required=False, max_length=200, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    body = forms.CharField(
        label=_("Text"), max_length=5000, strip=False, widget=forms.Textarea(attrs={"rows": 8, "class": "form-control"})
    )
    # Whom the preview is rendered for: a phone in any format or a card number (sent by POST only).
    customer = forms.CharField(
        label=_("Preview for the customer with phone or card number"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )

    def __init__(self, *args, channel: str, **kwargs):
        super().__init__(*args, **kwargs)
        if channel != "email":
            del self.fields["subject"]


class ChannelTestForm(forms.Form):
    """ "Send a test to me": the channel, and for SMS or messenger the phone to send to (never stored)."""

    channel = forms.ChoiceField(choices=(("email", "email"), ("sms", "sms"), ("messenger", "messenger")))
    phone = forms.CharField(label=_("Your phone"), required=False, max_length=30)
