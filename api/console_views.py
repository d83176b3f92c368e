"""The back-office page of API clients (/api-clients/, a screen of the api domain, shown in the console's
navigation): list, create and give a new key (the key is shown once), revoke. Every change is audited."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from api.forms import ApiClientCreateForm
from api.selectors import api_client_list
from api.services import api_client_create, api_client_revoke, api_client_rotate
from core.exceptions import DomainError
from core.forms import add_domain_error
from core.permissions import permission_required

ORIGIN = "console"
api_clients_required = permission_required("api.change_apiclient")


def _page(request: HttpRequest, form: ApiClientCreateForm, created=None, rotated=False) -> HttpResponse:
    context = {"form": form, "created": created, "rotated": rotated, "clients": api_client_list()}
    response = render(request, "api/apiclient_list.html", context)
    if created is not None:
        response["Cache-Control"] = "no-store"  # the key must not stay in any cache
    return response


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
    return _page(request, form, created)


@require_POST
@api_clients_required
def client_rotate(request: HttpRequest, client_id: int) -> HttpResponse:
    """A new key for a client (the old one stops working); the page shows it, once."""
    try:
        created = api_client_rotate(client_id=client_id, actor=request.user, origin=ORIGIN)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("api_clients:list")
    return _page(request, ApiClientCreateForm(), created, rotated=True)


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
    return redirect("api_clients:list")
