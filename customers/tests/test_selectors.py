"""Reads of customers (customers.selectors)."""

import pytest

from customers.selectors import customer_lookup

pytestmark = pytest.mark.django_db


class TestLookup:
    @pytest.fixture
    def anna(self, customer_factory):
        customer_factory(name="Boris Sidorov", phone="+79001112233")
        return customer_factory(name="Anna Petrova", phone="+79123456789", email="anna@example.com")

    @pytest.mark.parametrize("query", ["+7 912 345-67-89", "8 (912) 345 67 89", "+79123456789", "89123456789"])
    def test_by_phone_in_any_format(self, anna, query):
        assert customer_lookup(query) == [anna]

    def test_by_card_number_as_a_scanner_types_it(self, anna):
        assert customer_lookup(anna.card_number + "\n") == [anna]

    def test_by_email_in_any_case(self, anna):
        assert customer_lookup("ANNA@example.com") == [anna]

    def test_by_part_of_the_name_in_any_case(self, anna):
        assert customer_lookup("petro") == [anna]
        assert [c.name for c in customer_lookup("ov")] == ["Anna Petrova", "Boris Sidorov"]

    @pytest.mark.parametrize("query", ["", "   ", "+7 999 000 00 00", "x", "nobody"])
    def test_no_match(self, anna, query):
        assert customer_lookup(query) == []
