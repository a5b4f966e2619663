"""Amounts as an editor types them and as every page shows them: one home for both.

Reading (`parse_amount`): an amount typed in a text input, as sources write it.

- digits, optionally grouped by threes with commas or spaces (a space, a no-break space
  U+00A0, a narrow no-break space U+202F or a thin space U+2009), with a decimal point:
  `600000000`, `600,000,000`, `600 000 000`, `12.5`;
- a scale: `k`/`thousand` (10³), `m`/`mn`/`mln`/`million` (10⁶), `b`/`bn`/`bln`/`billion`
  (10⁹), `t`/`tn`/`trillion` (10¹²), any case: `600M`, `5.8 bn`, `1.2k`;
- a currency, once, before or after the number: a symbol in `SYMBOLS` (€ EUR, $ USD,
  £ GBP) or an ISO 4217 code (`EUR 600M`, `600M chf`). `$` is always the US dollar and
  `¥` is refused (yen or yuan?): other currencies are written with their code;
- first, a qualifier: `about`, `approximately`, `approx.`, `around`, `roughly`, `circa`,
  `~`, `≈` (approximate); `at least`, `more than`, `over`, `≥`, `>=`, `>` (at least);
  `at most`, `up to`, `less than`, `under`, `≤`, `<=`, `<` (at most). "More than a
  million" is stored as at least a million, as docs/model.md says;
- a minus sign (`-` or `−`) before the currency or the number.

Anything else is refused with a message, never read in part: `600 apples`, `5,8` (a
decimal comma), `1e6`, digits of other scripts. An amount with more decimal places or
more digits than its column holds is refused, never rounded.

What the amount says of its currency and qualifier must agree with the record's own
fields (`agree`): it fills one left empty, and a different one is an error naming the
amount's field. Each model says which fields go with which amount (`AmountInput`, in
`quantity_inputs` on the model).

Showing (`format_number`, `format_quantity`): thousands separators, no trailing zeros,
the currency's symbol (or code) and the qualifier: `≈ €5,800,000,000`, `≥ 1,000,000`,
`€600,000,000–800,000,000`.

The admin's live preview (factbase/core/static/factbase/quantities.js) repeats this
grammar in JavaScript; tests/test_quantities.py checks that the two read the same inputs
the same way.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

from .choices import Qualifier
from .codes import CURRENCY_CODES

# Symbols read as a currency, and written for it. `$` is the US dollar, as in most
# English-language sources; a Canadian or Australian dollar is written with its code.
SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP"}
CURRENCY_SYMBOLS = {code: symbol for symbol, code in SYMBOLS.items()}
# Symbols that name more than one currency: refused, with the codes to write instead.
AMBIGUOUS_SYMBOLS = {"¥": "JPY or CNY"}

SCALES = {
    "k": 3,
    "thousand": 3,
    "m": 6,
    "mn": 6,
    "mln": 6,
    "million": 6,
    "b": 9,
    "bn": 9,
    "bln": 9,
    "billion": 9,
    "t": 12,
    "tn": 12,
    "trillion": 12,
}

QUALIFIER_WORDS = {
    "about": Qualifier.APPROXIMATE,
    "approximately": Qualifier.APPROXIMATE,
    "approx.": Qualifier.APPROXIMATE,
    "approx": Qualifier.APPROXIMATE,
    "around": Qualifier.APPROXIMATE,
    "roughly": Qualifier.APPROXIMATE,
    "circa": Qualifier.APPROXIMATE,
    "~": Qualifier.APPROXIMATE,
    "≈": Qualifier.APPROXIMATE,
    "at least": Qualifier.AT_LEAST,
    "more than": Qualifier.AT_LEAST,
    "over": Qualifier.AT_LEAST,
    "≥": Qualifier.AT_LEAST,
    ">=": Qualifier.AT_LEAST,
    ">": Qualifier.AT_LEAST,
    "at most": Qualifier.AT_MOST,
    "up to": Qualifier.AT_MOST,
    "less than": Qualifier.AT_MOST,
    "under": Qualifier.AT_MOST,
    "≤": Qualifier.AT_MOST,
    "<=": Qualifier.AT_MOST,
    "<": Qualifier.AT_MOST,
}

# How a qualifier is written before a value; a range is written low–high.
QUALIFIER_SIGNS = {
    Qualifier.APPROXIMATE: "≈ ",
    Qualifier.AT_LEAST: "≥ ",
    Qualifier.AT_MOST: "≤ ",
}

MAX_LENGTH = 100  # longer than any amount a source writes


def _alternatives(words) -> str:
    # Longest first, so that "million" is not read as "m" followed by "illion".
    # re.escape escapes spaces too, which a verbose pattern would otherwise ignore.
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_CURRENCY = r"[€$£¥]|[A-Za-z]{3}"
_AMOUNT = re.compile(
    rf"""
    (?:(?P<qualifier>{_alternatives(QUALIFIER_WORDS)})(?![A-Za-z])\ ?)?
    (?P<sign>[-−])?
    (?:(?P<before>{_CURRENCY})\ ?)?
    (?P<whole>[0-9]{{1,3}}(?P<group>[, ])[0-9]{{3}}(?:(?P=group)[0-9]{{3}})*|[0-9]+)
    (?:\.(?P<fraction>[0-9]+))?
    (?:\ ?(?P<scale>{_alternatives(SCALES)})(?![A-Za-z]))?
    (?:\ ?(?P<after>{_CURRENCY}))?
    """,
    # ASCII: under IGNORECASE, Unicode matching would read the Kelvin sign as a "k".
    re.VERBOSE | re.IGNORECASE | re.ASCII,
)
# Spelled out rather than \s, so that the JavaScript grammar reads the same characters.
_SPACES = re.compile("[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


@dataclass(frozen=True)
class Amount:
    """What an amount typed as text says: its value, and the currency and qualifier it
    states ("" when it states none)."""

    value: Decimal
    currency: str = ""
    qualifier: str = ""


def parse_amount(text: str, *, max_digits: int = 24, decimal_places: int = 4) -> Amount:
    """The amount `text` states, or ValueError with a message saying what is wrong."""
    if len(text) > MAX_LENGTH:
        raise ValueError(f"Too long for an amount ({len(text)} characters).")
    # Every kind of space (no-break, narrow no-break, thin) is one space: they group
    # digits and separate words alike.
    normal = _SPACES.sub(" ", text).strip(" ")
    if not normal:
        raise ValueError("Enter an amount.")
    match = _AMOUNT.fullmatch(normal)
    if match is None:
        raise ValueError(
            f"“{normal}” is not an amount: write digits (600000000, 600,000,000), a "
            "scale (600M, 5.8 bn), a currency (€, $, £ or an ISO code) and a qualifier "
            "(about, at least, at most), nothing else."
        )
    parts = match.groupdict()
    if parts["before"] and parts["after"]:
        raise ValueError("Give the currency once, before or after the number.")
    currency = _currency(parts["before"] or parts["after"] or "")
    whole = parts["whole"].replace(",", "").replace(" ", "")
    scale = SCALES[parts["scale"].lower()] if parts["scale"] else 0
    # The decimal point moved on the digits as text: exact, whatever their number.
    integer, fraction = _shift(whole, parts["fraction"] or "", scale)
    _check_digits(integer, fraction, max_digits, decimal_places)
    value = Decimal(f"{integer}.{fraction}" if fraction else integer)
    if parts["sign"] and value:
        value = -value
    qualifier = QUALIFIER_WORDS[parts["qualifier"].lower()] if parts["qualifier"] else ""
    return Amount(value=value, currency=currency, qualifier=qualifier)


def _currency(written: str) -> str:
    if not written:
        return ""
    if written in AMBIGUOUS_SYMBOLS:
        raise ValueError(
            f"{written} could be {AMBIGUOUS_SYMBOLS[written]}: write the code instead."
        )
    if written in SYMBOLS:
        return SYMBOLS[written]
    code = written.upper()
    if code not in CURRENCY_CODES:
        raise ValueError(f"“{written}” is not an ISO 4217 currency code.")
    return code


def _shift(whole: str, fraction: str, scale: int) -> tuple[str, str]:
    """The digits `whole`.`fraction` times 10**scale, as the integer part without leading
    zeros ("0" for none) and the fraction without trailing zeros."""
    digits = whole + fraction
    point = len(whole) + scale
    digits = digits.ljust(point, "0")
    return digits[:point].lstrip("0") or "0", digits[point:].rstrip("0")


def _check_digits(integer: str, fraction: str, max_digits: int, decimal_places: int) -> None:
    """Refused rather than rounded: the column keeps `decimal_places` decimals and
    `max_digits` digits in all."""
    if len(fraction) > decimal_places:
        raise ValueError(f"Too many decimal places: at most {decimal_places}; nothing is rounded.")
    if integer != "0" and len(integer) > max_digits - decimal_places:
        raise ValueError(
            f"Too large: at most {max_digits - decimal_places} digits before the decimal point."
        )


@dataclass(frozen=True)
class AmountInput:
    """Which fields of its record an amount's currency and qualifier agree with: the
    names of the qualifier and currency fields, or `currency_is` for an amount always in
    one currency (a value in US dollars). None: the amount states none (a plain number
    such as an exchange rate)."""

    qualifier: str | None = None
    currency: str | None = None
    currency_is: str = ""


def agree(
    field: str,
    amount: Amount,
    spec: AmountInput,
    chosen: dict[str, str],
    labels: dict[str, str] | None = None,
) -> dict[str, str]:
    """The qualifier and currency fields the amount typed in `field` fills (those left
    empty in `chosen`), or ValidationError naming `field` when the amount says another
    qualifier or currency than the one chosen, or one where the field takes none."""
    labels = labels or {}
    fills: dict[str, str] = {}
    errors = []
    checks = (
        ("currency", amount.currency, spec.currency, spec.currency_is),
        ("qualifier", amount.qualifier, spec.qualifier, ""),
    )
    for what, stated, partner, fixed in checks:
        if not stated:
            continue
        if fixed:
            if stated != fixed:
                errors.append(f"This amount is in {fixed}; the text says {stated}.")
            continue
        if partner is None:
            errors.append(f"This amount takes no {what}; the text gives one ({stated}).")
            continue
        current = chosen.get(partner) or ""
        if not current:
            fills[partner] = stated
        elif current != stated:
            label = labels.get(partner, partner.replace("_", " "))
            errors.append(
                f"The text says {_said(what, stated)}, but the {label} chosen is "
                f"{_said(what, current)}: make them agree."
            )
    if errors:
        raise ValidationError({field: errors})
    return fills


def _said(what: str, code: str) -> str:
    if what == "qualifier":
        return str(Qualifier(code).label).lower() if code in Qualifier.values else code
    return code


# --- showing ------------------------------------------------------------------------


def format_number(value) -> str:
    """A decimal with thousands separators and without trailing zeros: 600,000,000 and
    12.5, never 600000000.0000."""
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), ",f")
    return "0" if text == "-0" else text


def format_money(text: str, currency: str) -> str:
    """A formatted number with its currency: €600,000,000; CHF 600,000,000."""
    if not currency:
        return text
    sign = ""
    if text.startswith("-"):
        sign, text = "-", text[1:]
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{currency} {text}"


def format_quantity(value, high, qualifier, currency="") -> str:
    """A value as stored, with its qualifier and currency: `≈ €5,800,000,000`,
    `≥ 1,000,000`, a range as `€600,000,000–800,000,000`."""
    if value is None:
        return ""
    if qualifier == Qualifier.RANGE and high is not None:
        return format_money(f"{format_number(value)}–{format_number(high)}", currency)
    return QUALIFIER_SIGNS.get(qualifier, "") + format_money(format_number(value), currency)


def usd_mismatch(value: Decimal, rate: Decimal, value_usd: Decimal) -> str | None:
    """Why `value_usd` is not `value` converted at `rate`, or None when it is: equal to the
    cent, or within what the rate's own precision allows (a rate given as 1.08 may be
    anything from 1.075 to 1.085)."""
    expected = value * rate
    places = max(-rate.normalize().as_tuple().exponent, 0)
    tolerance = Decimal("0.005") + abs(value) * Decimal(5).scaleb(-places - 1)
    if abs(value_usd - expected) <= tolerance:
        return None
    product = format_number(expected.quantize(Decimal("0.01")))
    return (
        f"{format_number(value_usd)} is not the value converted at the rate: "
        f"{format_number(value)} × {format_number(rate)} = {product}."
    )
