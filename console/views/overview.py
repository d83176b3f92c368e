from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from loyalty.selectors import program_overview, program_rates, program_settings_get, tier_distribution


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The console overview for Marketing (and superusers); cashiers go straight to the till."""
    if not request.user.has_perm("console.view_dashboard"):
        if request.user.has_perm("cashier.use_cashier"):
            return redirect("cashier:search")
        return render(request, "console/overview.html", {})
    context = {
        "program": program_settings_get(),
        "rates": program_rates(),  # what customers really earn: the tiers' rates, the base only if it applies
        "overview": program_overview(),
        "tier_distribution": tier_distribution(),
    }
    return render(request, "console/overview.html", context)
