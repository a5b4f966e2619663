"""How the names of each kind of record are compared (where its aliases are:
factbase.core.kinds.alias_relation)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Rules:
    """How the records of a kind are compared: `scope`, the foreign key within which
    duplicates are looked for (None: the whole table), and whether the words of
    names.LEGAL_SUFFIXES are dropped from the end of its names."""

    scope: str | None = None
    drop_suffixes: bool = True


# By model label; any other kind with a name: the whole table, suffixes dropped.
# Products are compared within their company: product names are short and generic
# ("Assistant", "API"), and a product entered twice is entered under the same company (a
# company entered twice is caught as a company first). People's names keep their last
# words: "Ai" or "Co" may end a person's name.
RULES = {
    "companies.product": Rules(scope="company"),
    "companies.person": Rules(drop_suffixes=False),
}


def rules_for(model) -> Rules:
    return RULES.get(model._meta.label_lower, Rules())
