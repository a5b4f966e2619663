"""A row's values are rendered by the serializer's field, or by a shortcut that must give
exactly what the field gives (factbase.api.rows.representation): checked here value by
value, beyond what the demo data holds."""

import decimal
from decimal import Decimal

import pytest
from django.db import models
from rest_framework import serializers

from factbase.api.rows import representation

AMOUNTS = [
    Decimal("0"),
    Decimal("-0"),
    Decimal("1"),
    Decimal("-1.5"),
    Decimal("1.005"),
    Decimal("2.675"),
    Decimal("123456789012.3456"),
    Decimal("1E+3"),
    Decimal("1.23E-7"),
    Decimal("0.00000005"),
    Decimal("99999999999999.99999999"),
    12,
    "3.14159",
    " 42 ",
]


@pytest.mark.parametrize(
    "field",
    [
        serializers.DecimalField(max_digits=24, decimal_places=8),
        serializers.DecimalField(max_digits=20, decimal_places=2),
        serializers.DecimalField(max_digits=30, decimal_places=0),
        serializers.DecimalField(max_digits=None, decimal_places=4),
        serializers.DecimalField(max_digits=24, decimal_places=2, rounding=decimal.ROUND_HALF_UP),
        serializers.DecimalField(max_digits=24, decimal_places=3, coerce_to_string=False),
        serializers.DecimalField(max_digits=24, decimal_places=None),
        serializers.DecimalField(max_digits=5, decimal_places=2),  # most amounts refused
        serializers.DecimalField(max_digits=24, decimal_places=8, normalize_output=True),
        serializers.DecimalField(max_digits=24, decimal_places=0, normalize_output=True),
    ],
    ids=[
        "24-8",
        "20-2",
        "30-0",
        "none-4",
        "half-up",
        "number",
        "no-places",
        "5-2",
        "normalized",
        "normalized-0",
    ],
)
def test_an_amount_is_what_drfs_decimal_field_writes(field):
    represent = representation(field, models.DecimalField())
    for value in AMOUNTS:
        try:
            expected = field.to_representation(value)
        except decimal.InvalidOperation:
            with pytest.raises(decimal.InvalidOperation):
                represent(value)
            continue
        got = represent(value)
        assert (type(got), got) == (type(expected), expected), value


def test_an_id_is_the_int_as_read_unless_big_ints_are_text():
    assert representation(serializers.BigIntegerField(), models.BigAutoField()) is None
    as_text = serializers.BigIntegerField(coerce_to_string=True)
    assert representation(as_text, models.BigAutoField())(2**62) == str(2**62)
