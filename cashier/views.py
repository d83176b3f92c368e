"""The till: find a customer in seconds, ring up a purchase with points, refund, enrol.

Keyboard-first: the search field has focus on load, Enter submits, a barcode scanner's digits + Enter
open the card. Every action goes through a service and is recorded with the cashier.
"""

import uuid
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from campaigns.models import Campaign
from campaigns.selectors import campaigns_running, welcome_grants_for
from core.exceptions import DomainError
from core.forms import add_domain_error
from core.permissions import permission_required
from customers.rules import lookup_query_parse, phone_mask, phone_try_normalize
from customers.selectors import customer_get, customer_lookup
from customers.services import customer_enrol
from loyalty import rules
from loyalty.boosts import Boost, boosts_find
from loyalty.rules import EarnLine
from loyalty.selectors import (
    balance_after_purchase,
    bonus_lots,
    customer_figures,
    operation_points,
    points_burning,
    points_summary,
    program_settings_get,
    purchase_find,
    purchase_get,
    purchase_quote,
    purchases_for_customer,
    tier_current,
)
from loyalty.services import purchase_amount_check, purchase_record, purchase_refund
from loyalty.templatetags.money import money, points

from .forms import CashierSearchForm, EnrolForm, PurchaseForm, ReceiptSearchForm, RefundForm

cashier_required = permission_required("cashier.use_cashier")
ORIGIN = "cashier"
ENROL_PHONE_KEY = "cashier_enrol_phone"  # the phone of the last search that found nobody (session)


def _new_key() -> str:
    return uuid.uuid4().hex


PICK_LIST_SIZE = 20  # customers shown when several match; more means "add the name or more digits"


@cashier_required
def search(request: HttpRequest) -> HttpResponse:
    """Find a customer. The query is POSTed, never put in the URL: a phone in a query string would land in
    every access log and browser history (issue #11). A single match opens the card (its URL holds only
    the id); several show a pick list (phones masked); no match offers to enrol the searched phone, kept
    in the session for the enrol form. A query too short to search (3 digits, 1 letter) says so."""
    form = CashierSearchForm(request.POST if request.method == "POST" else None)
    context: dict = {"form": form, "receipt_form": ReceiptSearchForm()}
    if request.method == "POST" and form.is_valid():
        query = form.cleaned_data["q"]
        problem = lookup_query_parse(query).problem
        if problem:
            context["error"] = problem
            return render(request, "cashier/search.html", context)
        found = customer_lookup(query, limit=PICK_LIST_SIZE + 1)
        if len(found) == 1:
            return redirect("cashier:customer", customer_id=found[0].pk)
        context["query"] = query
        context["more"] = len(found) > PICK_LIST_SIZE
        context["results"] = [{"customer": c, "phone": phone_mask(c.phone)} for c in found[:PICK_LIST_SIZE]]
        if not found:
            request.session[ENROL_PHONE_KEY] = phone_try_normalize(query) or ""
            context["enrol_url"] = reverse("cashier:enrol") + "?from=search"
    elif request.method == "POST":
        context["error"] = _("Type a phone number, a card number, an email or at least two letters of a name.")
    return render(request, "cashier/search.html", context)


@cashier_required
def receipt(request: HttpRequest) -> HttpResponse:
    form = ReceiptSearchForm(request.GET or None)
    found = purchase_find(form.cleaned_data["receipt"]) if form.is_valid() else []
    if len(found) == 1:
        return redirect("cashier:purchase", purchase_id=found[0].pk)
    context = {"form": CashierSearchForm(), "receipt_form": form, "purchases": found}
    if not found:
        context["error"] = _("No purchase with receipt number “%(number)s”.") % {
            "number": request.GET.get("receipt", "")
        }
    return render(request, "cashier/search.html", context)


def _boosts_for(customer_id: int) -> list[Boost]:
    """The boosts this customer would get on a purchase now, found as the purchase finds them: its tier,
    target, holdout, weekdays and hours, per-customer limit (exact) and budget. Asked with a line of 1.00 in
    each category of the running boosts and one without a category, so that category boosts are found.
    Left out: a boost whose holdout holds the customer (it earns nothing) and one whose budget is spent."""
    now = timezone.now()
    categories = (
        campaigns_running(kind=Campaign.Kind.BOOST, at=now)
        .exclude(boost_category="")
        .values_list("boost_category", flat=True)
        .distinct()
    )
    lines = [EarnLine(amount=Decimal("1"), category=c) for c in sorted(categories)] + [EarnLine(amount=Decimal("1"))]
    tier = tier_current(customer_id)
    found = boosts_find(customer_id=customer_id, lines=lines, at=now, tier_id=tier.pk if tier else None, exact=True)
    return [b for b in found if not b.holdout and b.budget_left != 0]


def _card_context(customer, *, form: PurchaseForm | None = None) -> dict:
    program = program_settings_get()
    figures = customer_figures(customer.pk)  # points and tier progress in one query
    return {
        "customer": customer,
        "phone": phone_mask(customer.phone),
        "points": figures.points,
        "progress": figures.progress,
        "burning": points_burning(customer.pk),
        # each bonus with the last day its points can pay (loyalty.rules.points_last_day; None: no end)
        "bonuses": [(lot, rules.points_last_day(lot.expires_at)) for lot in bonus_lots(customer.pk)[:5]],
        "purchases": list(purchases_for_customer(customer.pk)[:5]),
        "program": program,
        "boosts": _boosts_for(customer.pk),
        "form": form or PurchaseForm(initial={"idempotency_key": _new_key()}),
    }


def _customer_or_404(customer_id: int):
    customer = customer_get(customer_id)
    if customer is None:
        raise Http404(_("No such customer."))
    return customer


@cashier_required
def customer_card(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(customer_id)
    return render(request, "cashier/customer.html", _card_context(customer))


def _lines(amount, category: str) -> list[dict]:
    """The till's purchase as the services' lines: none without a category (one line of the whole amount,
    no category), else one line {amount, category} of the whole check, so a boost on that category applies."""
    return [{"amount": amount, "category": category}] if category else []


@cashier_required
def quote(request: HttpRequest, customer_id: int) -> HttpResponse:
    """htmx: as the amount is typed, the maximum that points may pay and what the purchase earns."""
    customer = _customer_or_404(customer_id)
    context: dict = {"customer": customer, "redeem_value": request.GET.get("redeem_points", "")}
    try:
        # The purchase form's own field: the quote reads "999,90" or "1 000" exactly as Confirm will.
        amount = PurchaseForm.base_fields["amount"].clean(request.GET.get("amount", ""))
        category = PurchaseForm.base_fields["category"].clean(request.GET.get("category", ""))
        purchase_amount_check(amount)
    except (ValidationError, DomainError):
        context["quote"] = None
    else:
        lines = [EarnLine(amount=line["amount"], category=line["category"]) for line in _lines(amount, category)]
        context["quote"] = purchase_quote(customer_id=customer.pk, amount=amount, lines=lines)
        context["amount"] = amount
        program = program_settings_get()
        context["max_value"] = rules.points_to_money(context["quote"].max_redeem_points, program.point_value)
    return render(request, "cashier/partials/redeem.html", context)


@cashier_required
@require_POST
def purchase_create(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(customer_id)
    form = PurchaseForm(request.POST)
    if form.is_valid():
        try:
            result = purchase_record(
                customer_id=customer.pk,
                amount=form.cleaned_data["amount"],
                redeem_points=form.cleaned_data["redeem_points"] or 0,
                lines=_lines(form.cleaned_data["amount"], form.cleaned_data["category"]),
                external_id=form.cleaned_data["external_id"],
                idempotency_key=f"till:{form.cleaned_data['idempotency_key']}",
                actor=request.user,
                origin=ORIGIN,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect("cashier:purchase", purchase_id=result.purchase.pk)
    return render(request, "cashier/customer.html", _card_context(customer, form=form), status=400)


def _refund_messages(request: HttpRequest, result) -> None:
    """What the refund did, in the cashier's words: points taken back and returned, points that came back
    already expired, points that paid or became points owed, and cashback not taken back because it had
    expired unused."""
    refund = result.refund
    effects = operation_points(refund=refund)
    purchase = refund.purchase
    hand_back = rules.refund_money(
        refund_amount=refund.amount, points_returned=refund.points_returned, point_value=purchase.point_value
    )
    text = _("Refunded %(amount)s. Hand back %(money)s in money.") % {
        "amount": money(refund.amount),
        "money": money(hand_back),
    }
    if refund.points_returned:
        text += " " + ngettext(
            "%(points)s point paid for %(value)s goes back to the card.",
            "%(points)s points paid for %(value)s go back to the card.",
            refund.points_returned,
        ) % {
            "points": points(refund.points_returned),
            "value": money(rules.points_to_money(refund.points_returned, purchase.point_value)),
        }
    messages.success(request, text)
    messages.info(
        request,
        ngettext(
            "%(reversed)s earned point taken back. Balance now %(balance)s.",
            "%(reversed)s earned points taken back. Balance now %(balance)s.",
            refund.points_reversed,
        )
        % {"reversed": points(refund.points_reversed), "balance": points(result.balance_after)},
    )
    notes = [
        (
            effects.returned_expired,
            ngettext(
                "%(points)s returned point had already expired and burnt at once.",
                "%(points)s returned points had already expired and burnt at once.",
                effects.returned_expired,
            ),
        ),
        (
            effects.owed_settled,
            ngettext(
                "%(points)s returned point paid points the customer owed.",
                "%(points)s returned points paid points the customer owed.",
                effects.owed_settled,
            ),
        ),
        (
            refund.points_expired,
            ngettext(
                "%(points)s earned point had expired unused and was not taken back again.",
                "%(points)s earned points had expired unused and were not taken back again.",
                refund.points_expired,
            ),
        ),
    ]
    for count, text in notes:
        if count:
            messages.info(request, text % {"points": points(count)})
    if refund.points_shortfall:
        messages.warning(
            request,
            ngettext(
                "%(points)s earned point had already been spent and could not be taken back: the customer owes it "
                "now, and the next points they earn pay it first.",
                "%(points)s earned points had already been spent and could not be taken back: the customer owes "
                "them now, and the next points they earn pay them first.",
                refund.points_shortfall,
            )
            % {"points": points(refund.points_shortfall)},
        )


def _purchase_or_404(purchase_id: int):
    purchase = purchase_get(purchase_id)
    if purchase is None:
        raise Http404(_("No such purchase."))
    return purchase


def _with_money_back(refund, point_value):
    refund.money_back = rules.refund_money(
        refund_amount=refund.amount, points_returned=refund.points_returned, point_value=point_value
    )
    return refund


def _purchase_context(purchase, *, form: RefundForm | None = None) -> dict:
    return {
        "purchase": purchase,
        "customer": purchase.customer,
        "phone": phone_mask(purchase.customer.phone),
        "balance_after": balance_after_purchase(purchase),
        "points": points_summary(purchase.customer_id),
        "owed_settled": operation_points(purchase=purchase).owed_settled,
        "refunds": [
            _with_money_back(refund, purchase.point_value) for refund in purchase.refunds.order_by("created_at")
        ],
        "refund_form": form or RefundForm(initial={"idempotency_key": _new_key()}),
        "program": program_settings_get(),
    }


@cashier_required
def purchase_detail(request: HttpRequest, purchase_id: int) -> HttpResponse:
    """The receipt summary after a purchase, and where a refund starts."""
    return render(request, "cashier/purchase.html", _purchase_context(_purchase_or_404(purchase_id)))


@cashier_required
@require_POST
def refund_create(request: HttpRequest, purchase_id: int) -> HttpResponse:
    purchase = _purchase_or_404(purchase_id)
    form = RefundForm(request.POST)
    if form.is_valid():
        try:
            result = purchase_refund(
                purchase_id=purchase.pk,
                amount=form.cleaned_data["amount"],
                idempotency_key=f"till:{form.cleaned_data['idempotency_key']}",
                actor=request.user,
                origin=ORIGIN,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            _refund_messages(request, result)
            return redirect("cashier:purchase", purchase_id=purchase.pk)
    purchase.refresh_from_db()
    return render(request, "cashier/purchase.html", _purchase_context(purchase, form=form), status=400)


def _welcome_messages(request: HttpRequest, customer_id: int) -> None:
    """The welcome bonus the enrolment just granted (campaigns grant it synchronously once the enrolment
    commits, before customer_enrol returns), or that there is none — shown on the card that opens next."""
    grants = list(welcome_grants_for(customer_id))
    if not grants:
        messages.info(request, _("No welcome bonus for this customer."))
    for grant in grants:
        if (last_day := rules.points_last_day(grant.expires_at)) is not None:
            # the last day the points can pay (they burn at the start of the next one: loyalty's one rule)
            text = ngettext(
                "Welcome bonus: %(points)s point, valid through %(day)s.",
                "Welcome bonus: %(points)s points, valid through %(day)s.",
                grant.points,
            ) % {"points": points(grant.points), "day": date_format(last_day, "SHORT_DATE_FORMAT")}
        else:
            text = ngettext("Welcome bonus: %(points)s point.", "Welcome bonus: %(points)s points.", grant.points) % {
                "points": points(grant.points)
            }
        messages.success(request, text)


@cashier_required
def enrol(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = EnrolForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                customer = customer_enrol(
                    name=data["name"],
                    phone=data["phone"],
                    email=data["email"] or None,
                    birthday=data["birthday"],
                    consent_email=data["consent_email"],
                    consent_sms=data["consent_sms"],
                    language=data["language"] or None,
                    referral_code=data["referral_code"] or None,
                    idempotency_key=f"till:{data['idempotency_key']}",
                    actor=request.user,
                    origin=ORIGIN,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(name)s is enrolled. Card number: %(card)s")
                    % {"name": customer.name, "card": customer.card_number},
                )
                _welcome_messages(request, customer.pk)
                return redirect("cashier:customer", customer_id=customer.pk)
        status = 400
    else:
        phone = request.session.pop(ENROL_PHONE_KEY, "") if request.GET.get("from") == "search" else ""
        form = EnrolForm(initial={"phone": phone, "idempotency_key": _new_key()})
        status = 200
    return render(request, "cashier/enrol.html", {"form": form}, status=status)
