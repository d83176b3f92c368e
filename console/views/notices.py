"""The built-in notices page (/messages/notices/, issue #14): switch each notice on or off, choose the
channels it tries in order, set its numbers, and reach its templates. The rules are messaging's
(messaging.services.notices.notice_setting_update, audited); this module only reads the forms and shows them."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import DomainError
from core.forms import EmptyChoiceDashMixin, LocalIntegerField, add_domain_error
from core.permissions import permission_required
from messaging.models import Channel, Message, NoticeKind, NoticeSetting
from messaging.selectors import notice_settings
from messaging.services.notices import (
    DAYS_MAX,
    MIN_BALANCE_MAX,
    NOTICE_PURPOSE,
    notice_channels,
    notice_setting_update,
)

# The numbers each notice takes (the others do not apply to it).
NOTICE_NUMBERS = {
    NoticeKind.POINTS_BURNING: ("days_before",),
    NoticeKind.TIER_AT_RISK: ("days_before",),
    NoticeKind.BALANCE_REMINDER: ("idle_days", "min_balance"),
}
CHANNEL_FIELDS = ("channel_1", "channel_2", "channel_3")
NOTICE_DESCRIPTIONS = {
    NoticeKind.POINTS_EARNED: gettext_lazy("After a purchase that earned points, at once."),
    NoticeKind.POINTS_BURNING: gettext_lazy(
        "Daily: to each customer whose points burn on one date, that many days before it, once per date."
    ),
    NoticeKind.TIER_UPGRADE: gettext_lazy("When a purchase or the daily review moves a customer up a tier."),
    NoticeKind.TIER_AT_RISK: gettext_lazy(
        "Daily: to customers under their tier's threshold, that many days before the review that would move "
        "them down, with the money still to spend."
    ),
    NoticeKind.BALANCE_REMINDER: gettext_lazy(
        "Daily: to customers with at least the minimum balance who have not bought for that many days; at "
        "most once in that many days."
    ),
}


class NoticeSettingForm(EmptyChoiceDashMixin, forms.Form):
    """One notice's settings as typed (prefixed by its kind); the bounds are notice_setting_update's."""

    enabled = forms.BooleanField(label=gettext_lazy("On"), required=False)
    channel_1 = forms.ChoiceField(label=gettext_lazy("First channel"), choices=Channel.choices)
    channel_2 = forms.ChoiceField(
        label=gettext_lazy("Then"), choices=[("", gettext_lazy("none"))] + Channel.choices, required=False
    )
    channel_3 = forms.ChoiceField(
        label=gettext_lazy("Then"), choices=[("", gettext_lazy("none"))] + Channel.choices, required=False
    )
    # the bounds are the service's, so that the form's error names the same limit the service keeps
    days_before = LocalIntegerField(label=gettext_lazy("Days before"), max_value=DAYS_MAX)
    idle_days = LocalIntegerField(label=gettext_lazy("Days without a purchase"), max_value=DAYS_MAX)
    min_balance = LocalIntegerField(label=gettext_lazy("Minimum balance, points"), max_value=MIN_BALANCE_MAX)

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, prefix=kind, **kwargs)
        self.kind = kind
        numbers = NOTICE_NUMBERS.get(kind, ())
        for name in ("days_before", "idle_days", "min_balance"):
            if name not in numbers:
                del self.fields[name]
        for field in self.fields.values():
            css = {forms.CheckboxInput: "form-check-input", forms.Select: "form-select form-select-sm"}
            field.widget.attrs["class"] = css.get(type(field.widget), "form-control form-control-sm")
        if "days_before" in self.fields:
            self.fields["days_before"].help_text = (
                _("Days before the points burn.")
                if kind == NoticeKind.POINTS_BURNING
                else _("Days before the review that would move the customer down a tier.")
            )


def _initial(row: NoticeSetting) -> dict:
    channels = list(row.channels) + [""] * len(CHANNEL_FIELDS)
    initial = {"enabled": row.enabled, **dict(zip(CHANNEL_FIELDS, channels, strict=False))}
    for name in NOTICE_NUMBERS.get(row.kind, ()):
        initial[name] = getattr(row, name)
    return initial


def _template_url(kind: str, channel: str, language: str) -> str:
    """The template editor of the notice on `channel` in `language`; the outbox while there is no editor."""
    try:
        return reverse("console:message_template", kwargs={"kind": kind, "channel": channel, "language": language})
    except NoReverseMatch:
        return reverse("console:messages")


@permission_required("messaging.view_noticesetting", "messaging.change_noticesetting")
def notice_settings_edit(request: HttpRequest) -> HttpResponse:
    """GET: every built-in notice with its settings and links to its templates, a notice that is on while
    none of its channels has a template (notice_channels, the jobs' own rule: nothing would be sent) flagged
    with a link to the editor of its first channel. POST (one notice, named by
    `kind`): save through notice_setting_update (audited); a refused value is shown on its field with
    status 400 and nothing changes."""
    rows = notice_settings()
    bound_kind = request.POST.get("kind") if request.method == "POST" else None
    bound_form = None
    status = 200
    if request.method == "POST":
        if bound_kind not in rows:
            status = 400
            messages.error(request, _("Unknown notice."))
        else:
            form = bound_form = NoticeSettingForm(request.POST, kind=bound_kind)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    notice_setting_update(
                        kind=bound_kind,
                        enabled=data["enabled"],
                        channels=[data[name] for name in CHANNEL_FIELDS if data.get(name)],
                        days_before=data.get("days_before"),
                        idle_days=data.get("idle_days"),
                        min_balance=data.get("min_balance"),
                        actor=request.user,
                        origin="console",
                    )
                except DomainError as exc:
                    if exc.field == "channels":
                        form.add_error("channel_1", exc.message)
                    else:
                        add_domain_error(form, exc)
                else:
                    messages.success(
                        request, _("Notice “%(notice)s” saved.") % {"notice": rows[bound_kind].get_kind_display()}
                    )
                    return redirect("console:message_notices")
            status = 400
    language = request.LANGUAGE_CODE
    notices = []
    for kind, row in rows.items():
        form = bound_form if kind == bound_kind else NoticeSettingForm(initial=_initial(row), kind=kind)
        notices.append(
            {
                "kind": kind,
                "label": row.get_kind_display(),
                "description": NOTICE_DESCRIPTIONS[kind],
                "row": row,
                "form": form,
                "marketing": NOTICE_PURPOSE[kind] == Message.Purpose.MARKETING,
                "no_template_url": (
                    _template_url(kind, row.channels[0], language)
                    if row.enabled and row.channels and not notice_channels(row)
                    else ""
                ),
                "templates": [
                    {"label": label, "url": _template_url(kind, code, language)} for code, label in Channel.choices
                ],
            }
        )
    return render(request, "console/message_notices.html", {"notices": notices}, status=status)
