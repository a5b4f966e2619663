"""Record ids as text brings them: a URL, a query parameter, a cell, a JSON string.

An id column is a 64-bit integer. Digits past it name no row, and must not reach the
database (PostgreSQL refuses to compare them with an id: a 500) nor int() (Python refuses
to read more than 4,300 digits: a 500 too). `id_from` is the one reading of such text.
"""

MAX_ID = 2**63 - 1  # the largest id a column holds; a larger one names nothing


def id_from(text) -> int | None:
    """The id that `text` spells (ASCII digits, 0 to MAX_ID), None for anything else."""
    if not (isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= 19):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def is_digits(text) -> bool:
    """ASCII digits, whatever their number: an id, or a number too large to be one (which
    names nothing, where other text may be a slug)."""
    return isinstance(text, str) and text.isascii() and text.isdigit()
