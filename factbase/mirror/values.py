"""The feed's values as the models hold them.

A change gives each value as the API's JSON shows it (factbase.core.text.json_value, by
way of factbase.api.history.describe): a decimal as a string of plain digits ("12.5"), a
date as "YYYY-MM-DD", a time in UTC ("2025-02-10T12:00:00.123456Z"), a foreign key as the
id it holds, a many-to-many field as a list of ids, a choice as its stored value, a
boolean, an integer or a string as JSON has them, null as null. Each is read back by the
model field's own to_python(), after checking that JSON gave it the type it writes for
that field: a number where a date belongs is an error naming the field, never a guess.
"""

from django.core.exceptions import ValidationError
from django.db import models

from factbase.core.text import field_kind

# The JSON type each kind of value (factbase.core.text.KINDS) comes as.
JSON_TYPES = {
    "integer": int,
    "number": str,
    "string": str,
    "boolean": bool,
    "date": str,
    "datetime": str,
}


def empty_value(field: models.Field):
    """What a field holds when a creation does not list it: a creation lists every field
    that has a value, and leaves out null, "" and empty lists."""
    return "" if field.empty_strings_allowed and not field.null else None


def model_value(field: models.Field, value):
    """`value`, as the feed gives it for `field`, as the model holds it (a foreign key: the
    id, for its attname). ValueError says what is wrong with it."""
    if value is None:
        return None
    if field.many_to_many:
        if not isinstance(value, list) or not all(_is(item, int) for item in value):
            raise ValueError(f"{value!r} is not a list of ids")
        return list(value)
    if isinstance(field, models.JSONField):
        return value
    expected = JSON_TYPES[field_kind(field)]
    if not _is(value, expected):
        raise ValueError(f"{value!r} is not a {expected.__name__}, as the field's values are")
    if field.is_relation:
        return value
    try:
        return field.to_python(value)
    except ValidationError as error:
        raise ValueError(f"{value!r}: {' '.join(error.messages)}") from error


def _is(value, expected: type) -> bool:
    # bool is an int to Python, not to JSON
    return isinstance(value, expected) and (expected is bool or not isinstance(value, bool))
