"""The languages the admin offers for a source, each by its own name and its English one,
stored as its BCP 47 tag. The names come from CLDR through Babel.

The list holds the languages sources are commonly written in; any other valid tag can be
typed in the picker, and a stored tag outside the list is always offered as it is."""

import unicodedata
from functools import cache

from babel import Locale, UnknownLocaleError

# The official languages of the EU and the most written languages elsewhere, with the
# regional and script variants sources commonly tell apart.
COMMON_TAGS = (
    "ar", "bg", "bn", "ca", "cs", "da", "de", "el", "en", "en-GB", "en-US", "es", "es-419",
    "et", "eu", "fa", "fi", "fr", "fr-CA", "ga", "gl", "he", "hi", "hr", "hu", "id", "it",
    "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt", "pt-BR", "pt-PT", "ro", "ru",
    "sk", "sl", "sr", "sv", "sw", "th", "tr", "uk", "ur", "vi", "zh", "zh-Hans", "zh-Hant",
)  # fmt: skip


def _names(tag: str) -> tuple[str, str] | None:
    """The language's own name and its English name, or None when CLDR does not know it."""
    try:
        locale = Locale.parse(tag, sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    english = locale.get_display_name("en")
    if not english:
        return None
    native = locale.get_display_name(locale) or english
    return native[:1].upper() + native[1:], english  # a list item starts with a capital


@cache
def language_label(tag: str) -> str:
    """'Français — French (fr)'; the tag alone when CLDR does not know it."""
    names = _names(tag)
    if names is None:
        return tag
    native, english = names
    return f"{native} ({tag})" if native == english else f"{native} — {english} ({tag})"


def _sort_key(tag: str) -> str:
    # By the language's own name, "Čeština" between "Català" and "Dansk", not after "Z";
    # "Español" before "Español (Latinoamérica)".
    letters = unicodedata.normalize("NFKD", (_names(tag) or (tag,))[0].casefold())
    return "".join(c for c in letters if not unicodedata.combining(c))


@cache
def language_choices() -> tuple[tuple[str, str], ...]:
    """The common languages as (tag, label), in the order of their own names."""
    return tuple((tag, language_label(tag)) for tag in sorted(COMMON_TAGS, key=_sort_key))
