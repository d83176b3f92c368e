"""Channel settings in the console (issue #14): each channel's configuration as the app sees it (read from
settings and the environment, secrets masked; it is not edited here) and "send a test to me"."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.exceptions import DomainError
from core.forms import add_domain_error
from core.permissions import permission_required
from customers.rules import phone_normalize
from messaging.models import Channel, Message
from messaging.rules import address_mask
from messaging.selectors import channels_configuration, sending_rules
from messaging.services.channel_test import channel_test_send

from ..forms import ChannelTestForm


@permission_required("messaging.view_message")
@require_http_methods(["GET", "HEAD", "POST"])
def message_channels(request: HttpRequest) -> HttpResponse:
    """/messages/channels/: the channels' configuration and the sending rules in force; POST sends a test
    on one channel to the staff member (their account's email, or the phone they type: never stored nor
    put in a URL) and comes back here with the result, sent or failed with the provider's error. Sending
    needs `messaging.add_message` (403 otherwise); a bad phone is a form error, status 400."""
    form = ChannelTestForm()
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("messaging.add_message"):
            raise PermissionDenied
        form = ChannelTestForm(request.POST)
        if form.is_valid():
            channel, phone = form.cleaned_data["channel"], form.cleaned_data["phone"]
            try:
                message = channel_test_send(channel=channel, phone=phone, actor=request.user, origin="console")
            except DomainError as error:
                add_domain_error(form, error)
            else:
                _result_show(request, message, phone)
                return redirect("console:message_channels")
        status = 400
    context = {
        "channels": channels_configuration(),
        "rules": sending_rules(),
        "form": form,
        "email": address_mask(request.user.email or ""),
        "may_send": request.user.has_perm("messaging.add_message"),
    }
    return render(request, "console/message_channels.html", context, status=status)


def _result_show(request: HttpRequest, message: Message, phone: str) -> None:
    """The test's outcome as a message on the next page: to whom (masked), and sent or failed with why."""
    to = address_mask(request.user.email if message.channel == Channel.EMAIL else phone_normalize(phone))
    channel = message.get_channel_display()
    if message.status in (Message.Status.SENT, Message.Status.DELIVERED):
        messages.success(
            request,
            _("Test message %(id)s sent by %(channel)s to %(to)s: accepted by %(provider)s.")
            % {"id": message.pk, "channel": channel, "to": to, "provider": message.provider},
        )
    else:
        messages.error(
            request,
            _("Test message %(id)s by %(channel)s to %(to)s failed: %(error)s")
            % {"id": message.pk, "channel": channel, "to": to, "error": message.error or message.get_status_display()},
        )
