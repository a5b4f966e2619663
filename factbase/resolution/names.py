"""The comparable form of a name, and how alike two names are once folded.

"Mistral AI SAS", "mistral-ai" and "Mistral" are the same name once folded: accents,
case and punctuation aside, and without the legal suffixes and generic words a company
name ends with. Folding is for comparing only; the name is stored as typed.
"""

import re

from factbase.core.text import strip_accents

# Words dropped from the end of a company or product name, as many as end it ("Mistral
# AI SAS" -> "mistral"): legal forms, and the generic words that names of AI companies
# carry or leave out ("Mistral" and "Mistral AI" are the same company). A small list on
# purpose: every word here makes two names the same that differ by it. Never the whole
# name: "AI" alone stays "ai".
LEGAL_SUFFIXES = frozenset(
    {
        # legal forms
        "ag",
        "bv",
        "co",
        "corp",
        "corporation",
        "gmbh",
        "inc",
        "llc",
        "ltd",
        "nv",
        "plc",
        "sa",
        "sarl",
        "sas",
        "spa",
        "srl",
        # generic words
        "ai",
        "labs",
        "technologies",
    }
)

_INITIALISM = re.compile(r"(?<!\w)(?:\w\.)+\w?(?!\w)")  # "s.a.s." -> "sas", "s.a" -> "sa"
_NOT_WORD = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d+")


def fold(name: str, *, drop_suffixes: bool = True) -> str:
    """The comparable form of a name: accents stripped, case folded, punctuation turned
    to spaces, whitespace collapsed, and (unless `drop_suffixes` is false: people's names)
    the words of LEGAL_SUFFIXES dropped from its end, never all of them.

    A name without a letter or digit folds to its case-folded text, never to nothing."""
    text = strip_accents(name).casefold()
    text = _INITIALISM.sub(lambda m: m.group(0).replace(".", ""), text)
    words = _NOT_WORD.sub(" ", text).split()
    if not words:
        return name.casefold().strip()
    if drop_suffixes:
        while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
            words.pop()
    return " ".join(words)


def same_key(folded: str) -> str:
    """What two folded names are the same in: their words run together, so that
    "deep seek" and "deepseek" are the same name."""
    return folded.replace(" ", "")


def numbers(folded: str) -> list[str]:
    """The numbers in a folded name: names that differ in one are different records
    (GPT-4 and GPT-5, "Company 1" and "Company 12"), however alike they look."""
    return _DIGITS.findall(folded)


def trigrams(folded: str) -> set[str]:
    """The trigrams of a folded name as PostgreSQL's pg_trgm counts them: each word with
    two spaces before and one after."""
    found = set()
    for word in folded.split():
        padded = f"  {word} "
        found.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return found


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity() of two folded names: the trigrams they share over all the
    trigrams of either, from 0 (none shared) to 1 (the same)."""
    first, second = trigrams(a), trigrams(b)
    if not first or not second:
        return 0.0
    shared = len(first & second)
    return shared / (len(first) + len(second) - shared)


def begins(short: str, long: str, *, min_length: int) -> bool:
    """Whether the folded name `short` is the first whole words of `long` ("mistral" of
    "mistral chat"), and at least `min_length` characters long: "le" begins too many."""
    return len(short) >= min_length and len(long) > len(short) and long.startswith(short + " ")


def word_prefixes(folded: str, *, min_length: int, most: int = 5) -> list[str]:
    """The whole-word beginnings of a folded name, shortest first, without the name
    itself: "mistral le chat" -> ["mistral", "mistral le"]."""
    words = folded.split()
    found = [" ".join(words[:n]) for n in range(1, min(len(words), most + 1))]
    return [prefix for prefix in found if len(prefix) >= min_length]
