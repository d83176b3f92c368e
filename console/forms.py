from django import forms
from django.conf import settings
from django.forms import modelformset_factory
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from campaigns.bounds import INTEGER_BOUNDS, VARIANT_POINTS_MAX, VARIANT_WEIGHT_MAX
from campaigns.models import Campaign
from campaigns.rules import KIND_OWN_FIELDS
from campaigns.services.changes.fields import VARIANT_CODE
from core.formatting import ascii_digits
from core.forms import (
    EMPTY_CHOICE_LABEL,
    EmptyChoiceDashMixin,
    LocalIntegerField,
    date_within_bounds,
    idempotency_key_field,
    latin_digits_only,
    local_number_formfield,
)
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


class TierForm(EmptyChoiceDashMixin, forms.ModelForm):
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


class CustomerProfileForm(EmptyChoiceDashMixin, forms.Form):
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


class AdjustmentForm(EmptyChoiceDashMixin, forms.Form):
    points = LocalIntegerField(
        label=_("Points (+ to add, − to deduct)"),
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "+100"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.TextInput(attrs={"class": "form-control"}))
    idempotency_key = idempotency_key_field()


# --- the console: program settings -----------------------------------------------------------------


class ProgramSettingsForm(EmptyChoiceDashMixin, forms.ModelForm):
    class Meta:
        model = ProgramSettings
        formfield_callback = local_number_formfield  # amounts and rates typed as in the language: "10 000 000,00"
        fields = list(SETTINGS_FIELDS)
        widgets = {
            "currency": forms.Select(
                choices=[("RUB", "RUB ₽"), ("USD", "USD $"), ("EUR", "EUR €"), ("KZT", "KZT ₸"), ("BYN", "BYN Br")]
            )
        }
        help_texts = {
            # The cap bounds what the boosts on a line add in total, one boost or several (loyalty.rules).
            "boost_cap_percent": _(
                "When boosts add up: the most cashback the boosts on a line add together — even a single "
                "boost — in percent of the line's amount. A boost above it pays only the cap."
            ),
        }

    BASE_RATE_FIELDS = ("base_cashback_percent", "redeem_cap_percent")

    def __init__(self, *args, entry_tier=None, **kwargs):
        """`entry_tier`: the tier every customer holds from enrolment, if any (loyalty.selectors.entry_tier).
        Then the base rates apply to nobody: their fields are shown disabled, saying why, and keep their
        stored values whatever is posted."""
        super().__init__(*args, **kwargs)
        self.fields["boost_cap_percent"].required = False  # needed only when boosts add up (clean)
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

    def clean(self):
        """Refuse a cap of 0 % when boosts add up: it would silently turn every boost off. The cap may be left
        empty when only the largest boost counts (it is not used then: the stored one is kept); it is
        needed when boosts add up."""
        data = super().clean()
        if data.get("boost_combine") == "sum" and data.get("boost_cap_percent") == 0:
            # xgettext:no-python-format
            self.add_error("boost_cap_percent", _("A cap of 0 % would turn every boost off."))
        if data.get("boost_cap_percent") is None and "boost_cap_percent" not in self.errors:
            if data.get("boost_combine") == "sum":
                self.add_error("boost_cap_percent", _("Enter the cap: the boosts on a line add up to it."))
            else:
                data["boost_cap_percent"] = self.instance.boost_cap_percent
        return data


class SavedSegmentForm(EmptyChoiceDashMixin, forms.Form):
    """A saved segment's name and description (analytics.segment_services checks them again: unique name)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")


# --- the console: message templates and channels ---------------------------------------------------


class MessageTemplateForm(EmptyChoiceDashMixin, forms.Form):
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


class ChannelTestForm(EmptyChoiceDashMixin, forms.Form):
    """ "Send a test to me": the channel, and for SMS or messenger the phone to send to (never stored)."""

    channel = forms.ChoiceField(choices=(("email", "email"), ("sms", "sms"), ("messenger", "messenger")))
    phone = forms.CharField(label=_("Your phone"), required=False, max_length=30)


# --- the console: campaigns (issue #15) -----------------------------------------------------------------

CAMPAIGN_COMMON_FIELDS = [
    "name",
    "starts_at",
    "ends_at",
    "target",
    "target_tiers",
    "target_rfm_segment",
    "target_saved_segment",
    "target_consent",
    "holdout_percent",
]
# The fields each kind shows besides the common ones and the closing ones.
CAMPAIGN_KIND_FIELDS = {kind: list(names) for kind, names in KIND_OWN_FIELDS.items()}
CAMPAIGN_CLOSING_FIELDS = ["budget_points", "per_customer_limit", "channels", "response_days"]
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class LocalDateTimeField(forms.DateTimeField):
    """A moment typed in the browser's date-and-time picker (the shop's local time), refused outside
    core.forms' DATE_MIN..DATE_MAX (a year 1 or 9999 would overflow on meeting a time zone)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"])
        super().__init__(**kwargs)

    def to_python(self, value):
        latin_digits_only(self, value)
        result = super().to_python(value)
        if result is not None:
            date_within_bounds(result.date())
        return result


class DaysListField(forms.CharField):
    """Absence steps typed as "30, 60, 90": whole days, ascending, each once (the service checks the bounds)."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(day) for day in value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        text = (super().to_python(value) or "").replace(";", ",").replace(" ", ",")
        parts = [part for part in text.split(",") if part]
        if not all(ascii_digits(part) and len(part) <= 5 for part in parts):
            raise forms.ValidationError(_("Write whole days separated by commas: 30, 60, 90."))
        return [int(part) for part in parts]


def campaign_formfield(model_field, **kwargs):
    """CampaignForm's `formfield_callback`: local numbers (core.forms.local_number_formfield) within the
    bounds campaigns.bounds.INTEGER_BOUNDS gives each integer field (its column's range and
    what makes sense), so that a number too large is a field error, not a database error."""
    if model_field.name in INTEGER_BOUNDS:
        kwargs["min_value"], kwargs["max_value"] = INTEGER_BOUNDS[model_field.name]
    # The decimals' bounds (holdout 0–90 %) are the service's to say, in its words.
    return local_number_formfield(model_field, say_bounds=False, **kwargs)


class CampaignForm(EmptyChoiceDashMixin, forms.ModelForm):
    """A campaign of one kind: the common fields, the kind's own (CAMPAIGN_KIND_FIELDS), the budget, limit,
    channels and response window (a boost none: it sends no message). For a launched campaign the fields it may no longer change are shown
    disabled (their posted values ignored; campaigns.services.changes says which)."""

    starts_at = LocalDateTimeField(label=_("Starts"), required=False)
    ends_at = LocalDateTimeField(label=_("Ends"), required=False)
    target_tiers = forms.ModelMultipleChoiceField(
        label=_("Tiers"), queryset=Tier.objects.order_by("order"), required=False, widget=forms.CheckboxSelectMultiple
    )
    target_rfm_segment = forms.ChoiceField(label=_("RFM segment"), required=False)
    absence_days = DaysListField(
        label=_("Absence steps, days"), required=False, max_length=100, help_text=_("For example 30, 60, 90.")
    )
    boost_weekdays = forms.TypedMultipleChoiceField(
        label=_("Weekdays"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every day."),
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tried in this order; the first that can reach the customer sends the message."),
    )

    class Meta:
        model = Campaign
        formfield_callback = campaign_formfield
        fields = [
            *CAMPAIGN_COMMON_FIELDS,
            *dict.fromkeys(f for fields in CAMPAIGN_KIND_FIELDS.values() for f in fields),
            *CAMPAIGN_CLOSING_FIELDS,
        ]
        help_texts = {
            "holdout_percent": _("This share of the target gets nothing and is measured against (0–90 %)."),
            "budget_points": _("Granting stops once this many points were granted. Empty: no budget."),
            "per_customer_limit": _("Grants per customer over the campaign, at least 1. Empty: once per occasion."),
            "points_valid_days": _("Empty: the program's point lifetime. At most 36 500 (100 years)."),
            "response_days": _("The results count a purchase within this many days of the grant."),
            "days_before": _("0: on the birthday; at most 31 (a month ahead)."),
            "boost_multiplier": _("2 = double points."),
            "boost_extra_percent": _("Added to the cashback percentage."),
            "boost_category": _("Empty: every purchase line."),
            "boost_hour_from": _("Local hour, 0–23. Empty: all day."),
            "boost_hour_to": _("Local hour, 1–24, excluded."),
        }

    def __init__(self, *args, kind: str, frozen: tuple[str, ...] = (), per_variant: bool = False, **kwargs):
        """`per_variant`: the campaign has (or the post gives) A/B variants: the points field is disabled
        with the hint that points are set per variant (the variants' points are what is granted)."""
        super().__init__(*args, **kwargs)
        from analytics.rfm_rules import Segment
        from messaging.models import Channel

        wanted = set(CAMPAIGN_COMMON_FIELDS + CAMPAIGN_KIND_FIELDS[kind] + CAMPAIGN_CLOSING_FIELDS)
        if kind == "boost":  # a boost sends no message (it shows at the till and on the receipt): no channels
            wanted.discard("channels")
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]
        self.fields["target_rfm_segment"].choices = [("", EMPTY_CHOICE_LABEL), *Segment.choices]
        if "channels" in self.fields:
            self.fields["channels"].choices = Channel.choices
        for name in frozen:
            if name in self.fields:
                self.fields[name].disabled = True
        # Too many digits is out of the range the service states: say the range (1000 %: "between 0 and
        # 100 %", not "no more than 3 digits before the decimal point"). Django formats these messages with
        # the validator's values, hence "%%".
        for name, message in (
            ("boost_multiplier", _("The multiplier is between 1 and 100.")),
            ("boost_extra_percent", _("The extra cashback is between 0 and 100 %%.")),
            ("holdout_percent", _("The holdout is between 0 and 90 %%.")),
        ):
            if name in self.fields:
                self.fields[name].error_messages.update({"max_digits": message, "max_whole_digits": message})
        if "points" in self.fields:
            hint = _("Points are set per variant: this field is not used while the campaign has A/B variants.")
            self.fields["points"].help_text = format_html(
                '<span id="points-per-variant"{}>{}</span>', "" if per_variant else mark_safe(" hidden"), hint
            )
            if per_variant:
                self.fields["points"].disabled = True

    def _post_clean(self):
        # The service checks the campaign (and says so on the field); the model's own validation would
        # run on a half-built instance (no kind, no dates) and say it twice.
        pass

    def values(self) -> dict:
        """The cleaned values for campaigns.services (every field but the tiers)."""
        return {name: value for name, value in self.cleaned_data.items() if name != "target_tiers"}


class CampaignVariantForm(EmptyChoiceDashMixin, forms.Form):
    """One A/B variant: its code (A, B), points and weight; a row left empty is no variant."""

    code = forms.CharField(label=_("Code"), max_length=10, required=False)
    points = LocalIntegerField(label=_("Points"), min_value=0, max_value=VARIANT_POINTS_MAX, required=False)
    weight = LocalIntegerField(label=_("Weight"), min_value=1, max_value=VARIANT_WEIGHT_MAX, required=False)

    def clean_code(self) -> str:
        code = (self.cleaned_data.get("code") or "").strip().upper()
        if code and not VARIANT_CODE.match(code):
            raise forms.ValidationError(_("A variant's code is 1 to 10 letters or digits (A, B)."))
        return code

    def clean(self):
        data = super().clean()
        if "code" in self.errors or "points" in self.errors:
            return data  # the field's own error says what is wrong (both were filled in)
        filled = data.get("code") or data.get("points") is not None
        if filled and (not data.get("code") or data.get("points") is None):
            raise forms.ValidationError(_("A variant needs its code and points."))
        return data


class BaseCampaignVariantFormSet(forms.BaseFormSet):
    """The variant rows: a code used twice is an error on the later row, so the page says which."""

    def clean(self):
        seen: set[str] = set()
        for form in self.forms:
            code = (form.cleaned_data or {}).get("code") if hasattr(form, "cleaned_data") else None
            if not code:
                continue
            if code in seen:
                form.add_error("code", _("Two variants have the code “%(code)s”: each needs its own.") % {"code": code})
            seen.add(code)


CampaignVariantFormSet = forms.formset_factory(
    CampaignVariantForm, formset=BaseCampaignVariantFormSet, extra=1, max_num=10, absolute_max=10
)


class CampaignListForm(EmptyChoiceDashMixin, forms.Form):
    """The customers of an uploaded list: a CSV or text file, or pasted lines (phones or card numbers in
    the first column). Sent by POST: the phones never go in a URL."""

    file = forms.FileField(label=_("File (CSV or text)"), required=False)
    text = forms.CharField(
        label=_("Or paste phones or card numbers, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    replace = forms.BooleanField(label=_("Replace the list (otherwise add to it)"), required=False)

    MAX_BYTES = 5 * 1024 * 1024

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            if upload.size > self.MAX_BYTES:
                raise forms.ValidationError(_("The file is larger than 5 MB."))
            raw = upload.read()
            try:
                data["content"] = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                try:
                    data["content"] = raw.decode("cp1251")
                except UnicodeDecodeError:
                    raise forms.ValidationError(_("The file is not text.")) from None
            if "\x00" in data["content"]:
                raise forms.ValidationError(_("The file is not text."))
        else:
            data["content"] = data.get("text") or ""
        if not data["content"].strip():
            raise forms.ValidationError(_("Choose a file or paste the phones or card numbers."))
        return data
