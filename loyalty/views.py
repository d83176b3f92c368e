from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from customers.rules import phone_mask
from customers.selectors import customer_lookup

from .forms import CustomerSearchForm
from .selectors import points_summary, program_overview, program_settings_get


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Overview for Marketing; a customer search for Cashiers; both for superusers."""
    context: dict = {"program": program_settings_get()}
    if request.user.has_perm("loyalty.view_dashboard"):
        context["overview"] = program_overview()
    if request.user.has_perm("loyalty.use_cashier"):
        form = CustomerSearchForm(request.GET or None)
        context["search_form"] = form
        if form.is_valid():
            found = customer_lookup(form.cleaned_data["q"])
            context["results"] = [
                {"customer": c, "phone": phone_mask(c.phone), "points": points_summary(c.pk)} for c in found
            ]
    return render(request, "core/home.html", context)
