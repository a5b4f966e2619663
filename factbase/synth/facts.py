"""The parts every fact shares: its status, confidence, claim type, note and dates, and
its citations, each quoting one of the sources in that source's language."""

import random
from collections.abc import Callable

from .choices import (
    pick_cited_status,
    pick_claim,
    pick_confidence,
    pick_uncited_status,
)
from .state import Run
from .words import FACT_QUOTES, pick_note
from .writer import Table

# What quote_of makes: a language -> (quote, English translation).
Quote = Callable[[str], tuple[str, str]]


def quote_of(templates: dict[str, str], **fields) -> Quote:
    """(quote in a language, its English translation or "" for English), built only for
    the citations a fact gets."""

    def quote(language: str) -> tuple[str, str]:
        english = templates["en"].format(**fields)
        if language == "en":
            return english, ""
        return templates[language].format(**fields), english

    return quote


def fact_quote(subject: str, claim: str) -> Quote:
    """The quote of any fact but a metric: its subject and what is claimed."""
    return quote_of(FACT_QUOTES, subject=subject, claim=claim)


def citation_count(run: Run, rng: random.Random, required: bool) -> int:
    """About `citations_per_fact` on average; metrics always have one."""
    if not run.sizes.sources:
        return 0
    mean = run.sizes.citations_per_fact
    n = int(mean) + (rng.random() < mean - int(mean))
    r = rng.random()
    if required:
        return max(n, 1) + (r < 0.1)
    if r < 0.12:
        return max(n - 1, 0)
    return n + (r < 0.24)


def fact(run: Run, rng: random.Random, cited: bool, claim_type=None) -> dict:
    """The fields every fact has, for a record that has citations or not: only a cited
    fact can be verified."""
    now = run.now()
    return {
        "status": pick_cited_status(rng) if cited else pick_uncited_status(rng),
        "confidence": pick_confidence(rng),
        "claim_type": claim_type or pick_claim(rng),
        "note": pick_note(rng),
        "created_at": now,
        "updated_at": now,
    }


def cite(run: Run, rng, model, fact_id, n, quote: Quote, field_name=""):
    """`n` citations of the fact; `quote(language)` gives (quote, English translation)."""
    table = run.citations
    sources = run.sizes.sources
    content_type = run.content_type(model)
    people = len(run.pools.person_names)
    for _ in range(n):
        position = int(sources * rng.random() ** 1.5)
        language = run.pools.source_langs[position]
        text, translation = quote(language)
        now = run.now()
        table.add(
            id=table.next_id(),
            source_id=run.sources.start + 1 + position,
            content_type_id=content_type,
            object_id=fact_id,
            quote=text,
            translation=translation,
            locator=f"¶ {rng.randint(1, 12)}" if rng.random() < 0.7 else f"p. {rng.randint(1, 40)}",
            field_name=field_name if rng.random() < 0.3 else "",
            attributed_to_id=(
                run.people.start + 1 + rng.randrange(people)
                if people and rng.random() < 0.04
                else None
            ),
            created_at=now,
            updated_at=now,
        )


def flush(run: Run, *tables: Table) -> None:
    """Write what `tables` hold so far, and the citations of their facts with them, so
    that memory stays flat however many records a stage makes."""
    for table in (*tables, run.citations):
        table.flush()
