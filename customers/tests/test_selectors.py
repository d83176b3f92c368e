"""Reads of customers (customers.selectors)."""

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.models import Customer
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


class TestLookupAtTheTill:
    """Issue #12: the last digits of a phone, names in any order, case and with ё = е, several matches."""

    @pytest.fixture
    def people(self, customer_factory):
        return {
            "valeria": customer_factory(name="Валерия Степанова", phone="+7 912 100-45-67"),
            "alena": customer_factory(name="Алёна Семёнова", phone="+7 912 200-45-67"),
            "olga": customer_factory(name="Ольга Семенова", phone="+7 912 300-11-22"),
            "stepan": customer_factory(name="Степан Иванов", phone="+7 912 400-99-88"),
        }

    @pytest.mark.parametrize("query", ["Степанова Валерия", "валерия степанова", "СТЕПАНОВА", "степанова вал"])
    def test_name_in_any_order_and_case(self, people, query):
        assert customer_lookup(query) == [people["valeria"]]

    def test_the_start_of_a_word_first_else_anywhere(self, people):
        assert customer_lookup("степан") == [people["valeria"], people["stepan"]]  # Степанова, Степан
        assert customer_lookup("ванов") == [people["stepan"]]  # inside Иванов: nothing starts so
        assert customer_lookup("ерия степ") == [people["valeria"]]

    @pytest.mark.parametrize("query", ["о'нил", "a\\b", "a:*|b", "(!)x&y"])
    def test_text_search_syntax_typed_is_plain_text(self, people, query):
        assert customer_lookup(query) == []

    def test_e_and_yo_are_one_letter_both_ways(self, people):
        both = [people["alena"], people["olga"]]
        assert customer_lookup("Семенова") == both
        assert customer_lookup("семёнова") == both
        assert customer_lookup("Семенова Алена") == [people["alena"]]
        assert customer_lookup("ОЛЬГА СЕМЁНОВА") == [people["olga"]]

    @pytest.mark.parametrize("query", ["4567", "45-67", "004567", "+ 45 67"])
    def test_last_digits_of_the_phone_find_everyone_whose_phone_ends_so(self, people, query):
        assert customer_lookup(query) == [people["alena"], people["valeria"]]  # by name

    def test_last_digits_with_the_name(self, people):
        assert customer_lookup("Семёнова 4567") == [people["alena"]]
        assert customer_lookup("4567 степанова") == [people["valeria"]]
        assert customer_lookup("Семёнова 9988") == []

    def test_a_whole_phone_or_card_is_exact_and_first(self, people, customer_factory):
        longer = customer_factory(name="Анна Длинная", phone="+375 29 100-45-67")
        assert customer_lookup("+7 912 100-45-67") == [people["valeria"]]
        assert customer_lookup(people["stepan"].card_number) == [people["stepan"]]
        assert customer_lookup("1004567") == [longer, people["valeria"]]  # 7 digits: not a phone, an ending

    @pytest.mark.parametrize("query", ["567", "45 6", "Семёнова 67", "С"])
    def test_too_short_finds_nobody(self, people, query):
        assert customer_lookup(query) == []

    def test_an_erased_customer_is_not_found_by_the_end_of_the_number_left_in_his_place(self, people):
        from customers.services import customer_erase

        customer_erase(customer=people["stepan"], actor=None)
        ending = people["stepan"].phone[-4:]  # "+0" and the id: no real phone
        assert customer_lookup(ending) == []

    def test_limit(self, people):
        found = customer_lookup("4567", limit=1)
        assert len(found) == 1 and found[0] in (people["alena"], people["valeria"])

    def test_the_fallback_without_postgresql_finds_the_same(self, people, monkeypatch):
        """SQLite (the demo) has neither index: a regular expression with [её] and a suffix match instead."""
        from types import SimpleNamespace

        from customers import selectors

        monkeypatch.setattr(selectors, "connection", SimpleNamespace(vendor="sqlite"))
        assert customer_lookup("Степанова Валерия") == [people["valeria"]]
        assert customer_lookup("семенова") == [people["alena"], people["olga"]]
        assert customer_lookup("Семёнова 4567") == [people["alena"]]
        assert customer_lookup("4567") == [people["alena"], people["valeria"]]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40))
def test_any_text_is_searched_or_refused_never_an_error(customer, text):
    """Whatever a cashier (or a scanner) types: a list, never a database error from the query's syntax."""
    assert isinstance(customer_lookup(text + " " + text[::-1]), list)
    assert isinstance(customer_lookup(text), list)


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the indexes are PostgreSQL's")
class TestLookupIndexes:
    """The lookup's expressions are exactly those migration 0011 indexed (else the planner scans 1 000 000 rows)."""

    def _plan(self, queryset) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # a few test rows: the planner would scan them
            cursor.execute("SET LOCAL enable_indexscan = off")  # nor walk another index in name order
            sql, params = queryset.order_by("name", "id").query.sql_with_params()
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())

    def test_phone_ending_uses_the_reversed_phone_index(self, db):
        from customers.selectors import _phone_ends_with

        assert "customers_customer_phone_reversed" in self._plan(_phone_ends_with(Customer.objects.all(), "4567"))

    def test_name_words_use_the_name_words_index(self, db):
        from customers.selectors import _name_words_start

        queryset = _name_words_start(Customer.objects.all(), ("степанова", "вал"))
        assert "customers_customer_name_words" in self._plan(queryset)

    def test_a_part_inside_a_word_uses_the_trigram_index(self, db):
        from customers.selectors import _name_holds

        assert "customers_customer_name_trgm" in self._plan(_name_holds(Customer.objects.all(), ("панова",)))
