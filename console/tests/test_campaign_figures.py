"""Uplifts on the campaign screens (list and results) are rounded half up, in the reader's language, with
the minus sign U+2212 and never "−0.0" (console.views.campaigns.common.uplift_text)."""

from decimal import Decimal

from django.utils import translation

from campaigns.stats import Estimate
from console.views.campaigns.common import uplift_text

NBSP, MINUS = "\u00a0", "\u2212"


def test_an_uplift_and_its_interval_are_rounded_half_up_with_the_minus_sign():
    # -0.0004 = −0.04 pp → "0.0"; -0.1125 = −11.25 pp → "−11.3" (half up; to even would give −11.2);
    # 0.1250 = 12.5 pp → "+12.5"
    estimate = Estimate(value=Decimal("-0.0004"), low=Decimal("-0.1125"), high=Decimal("0.1250"))
    with translation.override("en"):
        assert uplift_text(estimate) == f"0.0 pp (95 % CI {MINUS}11.3 … +12.5)"
    with translation.override("ru"):
        assert f"{MINUS}11,3" in uplift_text(estimate)
        assert "+12,5" in uplift_text(estimate)
        assert "-" not in uplift_text(estimate)
