"""API clients in the console: list, create (the key is shown once), revoke. Every change is audited."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from core.forms import add_domain_error
from core.permissions import permission_required

from ..api.forms import ApiClientCreateForm
from ..api.selectors import api_client_list
from ..api.services import api_client_create, api_client_revoke

ORIGIN = "console"
api_clients_required = permission_required("loyalty.change_apiclient")


@api_clients_required
def client_list(request: HttpRequest) -> HttpResponse:
    """The list of clients and the form to create one. After a create the page shows the key, once."""
    form = ApiClientCreateForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = api_client_create(name=form.cleaned_data["name"], actor=request.user, origin=ORIGIN)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            form = ApiClientCreateForm()
    response = render(
        request, "loyalty/apiclient_list.html", {"form": form, "created": created, "clients": api_client_list()}
    )
    if created is not None:
        response["Cache-Control"] = "no-store"  # the key must not stay in any cache
    return response


@require_POST
@api_clients_required
def client_revoke(request: HttpRequest, client_id: int) -> HttpResponse:
    try:
        client = api_client_revoke(client_id=client_id, actor=request.user, origin=ORIGIN)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("API client “%(name)s” is revoked: its key no longer works.") % {"name": client.name}
        )
    return redirect("loyalty:api_clients")
