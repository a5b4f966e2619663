"""ISO code lists: countries (ISO 3166-1 alpha-2) and currencies (ISO 4217).

Taken from pycountry (pinned), so the lists, the form choices and the database CHECK
constraints that back them all agree.
"""

import pycountry

COUNTRY_CHOICES = sorted(
    ((c.alpha_2, c.name) for c in pycountry.countries), key=lambda choice: choice[1]
)
COUNTRY_CODES = sorted(code for code, _ in COUNTRY_CHOICES)

# UN M.49 "World", as used by CLDR and BCP 47: a metric that covers every country.
WORLDWIDE = "001"
REGION_CHOICES = [(WORLDWIDE, "Worldwide"), *COUNTRY_CHOICES]
REGION_CODES = [WORLDWIDE, *COUNTRY_CODES]

# ISO 4217's codes that name no money: XXX, "no currency is involved", and XTS, kept for
# testing. An amount in either says nothing of what it is worth.
NOT_MONEY = ("XTS", "XXX")
CURRENCY_CHOICES = sorted(
    (
        (c.alpha_3, f"{c.alpha_3} ({c.name})")
        for c in pycountry.currencies
        if c.alpha_3 not in NOT_MONEY
    ),
    key=lambda c: c[0],
)
CURRENCY_CODES = [code for code, _ in CURRENCY_CHOICES]


def region_name(code: str) -> str:
    if not code:
        return ""
    if code == WORLDWIDE:
        return "Worldwide"
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code
