"""What a valuation stored before its qualifier, currency and basis existed becomes: exact,
in its round's currency, post-money (as the field's help text then said). Frozen with the
migrations: 0006 fills the rows with it, and a snapshot taken before 0006 is brought to
today's columns with it on import (factbase.snapshots.upgrades)."""

QUALIFIER = "exact"
BASIS = "post"
NEW_COLUMNS = ("valuation_qualifier", "valuation_currency", "valuation_basis")


def valuation_columns(valuation_given: bool, currency) -> dict:
    """The new columns of a row, from whether it holds a valuation and its currency (a
    code, or the expression that reads it in an UPDATE)."""
    if not valuation_given:
        return dict.fromkeys(NEW_COLUMNS, "")
    return {
        "valuation_qualifier": QUALIFIER,
        "valuation_currency": currency,
        "valuation_basis": BASIS,
    }
