"""core.db: array literals sent as text arrive as the arrays they spell."""

import pytest
from django.db import connection  # noqa: F401 - read by the skipif condition

from core.db import array_text, prepared_cursor


def test_array_text_spells_ints_nulls_and_booleans():
    assert array_text([1, None, -3, 10**15]) == "{1,NULL,-3,1000000000000000}"
    assert array_text([True, False]) == "{t,f}"
    assert array_text([]) == "{}"


@pytest.mark.django_db
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL arrays")
def test_array_text_reads_back_as_the_array():
    with prepared_cursor() as cursor:
        cursor.execute(
            "SELECT %s::bigint[], %s::boolean[], %s::integer[]",
            [array_text([1, None, 2**62]), array_text([True, False, None]), array_text([])],
        )
        assert cursor.fetchone() == ([1, None, 2**62], [True, False, None], [])
