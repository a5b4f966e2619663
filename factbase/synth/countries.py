"""Where companies and events are: countries by weight, and the cities of the main ones."""

from factbase.core.codes import COUNTRY_CODES

from .weighted import Weighted

# Weights are relative.
COUNTRY_WEIGHTS = {
    "US": 30,
    "CN": 9,
    "GB": 8,
    "FR": 8,
    "DE": 7,
    "IN": 4,
    "JP": 3,
    "CA": 3,
    "IL": 2,
    "KR": 2,
    "NL": 2,
    "CH": 1.5,
    "SE": 1.5,
    "ES": 1.5,
    "IT": 1.5,
    "SG": 1.5,
    "AE": 1,
    "BR": 1,
    "AU": 1,
    "FI": 0.8,
    "DK": 0.6,
    "BE": 0.6,
    "IE": 0.6,
    "PL": 0.6,
    "EE": 0.4,
}
OTHER_COUNTRIES_WEIGHT = 8  # spread over every other ISO code
NO_COUNTRY_WEIGHT = 2

CITIES = {
    "US": ["San Francisco", "New York", "Seattle", "Austin", "Boston", "Palo Alto"],
    "CN": ["Beijing", "Shanghai", "Shenzhen", "Hangzhou"],
    "GB": ["London", "Cambridge", "Oxford", "Manchester"],
    "FR": ["Paris", "Lyon", "Grenoble", "Toulouse"],
    "DE": ["Berlin", "Munich", "Hamburg", "Heidelberg"],
    "IN": ["Bengaluru", "Mumbai", "Hyderabad"],
    "JP": ["Tokyo", "Osaka"],
    "CA": ["Toronto", "Montreal", "Vancouver"],
    "IL": ["Tel Aviv"],
    "KR": ["Seoul"],
    "NL": ["Amsterdam"],
    "CH": ["Zurich", "Geneva"],
}


def _country_choice() -> Weighted:
    others = [c for c in COUNTRY_CODES if c not in COUNTRY_WEIGHTS]
    items = [*COUNTRY_WEIGHTS, *others, ""]
    weights = [
        *COUNTRY_WEIGHTS.values(),
        *[OTHER_COUNTRIES_WEIGHT / len(others)] * len(others),
        NO_COUNTRY_WEIGHT,
    ]
    return Weighted(items, weights)


pick_country = _country_choice()
