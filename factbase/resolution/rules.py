"""How the names of each kind of record are compared, and where its aliases are."""

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist


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


def alias_relation(model):
    """The reverse relation to the model's aliases (an `aliases` list of rows with a
    `name`: companies, products, people), or None for a kind without aliases."""
    try:
        relation = model._meta.get_field("aliases")
    except FieldDoesNotExist:
        return None
    return relation if relation.one_to_many else None
