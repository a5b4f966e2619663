"""The database side of name resolution.

On PostgreSQL, names are compared through the trigram indexes of f_unaccent(name) that
the `*_search_indexes` migrations create for every name and alias table (pg_trgm's `%`,
`%>` and ILIKE all use them). On SQLite, which has neither unaccent nor trigrams, the
folding of factbase.resolution.names runs inside the query as functions registered on
the connection; SQLite suits small databases, where reading each name once is cheap.
"""

from django.db import connections
from django.db.models import BooleanField, F, FloatField, Func, TextField

from factbase.core.text import fold_case

from . import names


def vendor(using: str) -> str:
    return connections[using].vendor


def _sqlite_fold(name, drop_suffixes):
    return None if name is None else names.fold(name, drop_suffixes=bool(drop_suffixes))


def _sqlite_key(name, drop_suffixes):
    folded = _sqlite_fold(name, drop_suffixes)
    return None if folded is None else names.same_key(folded)


def _sqlite_fold_case(name):
    return None if name is None else fold_case(name)


SQLITE_FUNCTIONS = {
    "factbase_fold": (2, _sqlite_fold),
    "factbase_name_key": (2, _sqlite_key),
    "factbase_fold_case": (1, _sqlite_fold_case),
}


def prepare(using: str) -> None:
    """Make the SQLite functions of this module known to the connection `using` (a no-op
    on PostgreSQL). Registering is cheap and sends no query: done before each use, so that
    a connection opened at any time has them."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    connection.ensure_connection()
    for name, (arity, function) in SQLITE_FUNCTIONS.items():
        connection.connection.create_function(name, arity, function, deterministic=True)


class Folded(Func):
    """SQLite: a name's folded form (names.fold)."""

    function = "factbase_fold"
    output_field = TextField()

    def __init__(self, column, drop_suffixes: bool):
        super().__init__(F(column), drop_suffixes)


class NameKey(Func):
    """SQLite: what two names are the same in (names.same_key of names.fold)."""

    function = "factbase_name_key"
    output_field = TextField()

    def __init__(self, column, drop_suffixes: bool):
        super().__init__(F(column), drop_suffixes)


class FoldedCase(Func):
    """SQLite: a name with accents and case aside (factbase.core.text.fold_case)."""

    function = "factbase_fold_case"
    output_field = TextField()

    def __init__(self, column):
        super().__init__(F(column))


def like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SameText(Func):
    """PostgreSQL: the column holds `text`, accents and case aside:
    `f_unaccent(column) ILIKE f_unaccent(text)`, the text's LIKE characters escaped. The
    trigram index of f_unaccent(column) serves it. ILIKE compares the spaces around
    `text` too, where SQLite's fold_case drops them: callers strip it first
    (refs.asked_names)."""

    output_field = BooleanField()

    def __init__(self, column, text: str):
        super().__init__(F(column))
        self.text = like_escaped(text)

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.get_source_expressions()[0])
        return f"f_unaccent({column}) ILIKE f_unaccent(%s)", (*params, self.text)


class Resembles(Func):
    """PostgreSQL: the column resembles one of `texts` (`f_unaccent(column) %
    f_unaccent(text)`: a trigram similarity of pg_trgm.similarity_threshold, 0.3 by
    default) or holds one of `words` among its words (`%>`: a word similarity of
    pg_trgm.word_similarity_threshold, 0.6). Both are served by the trigram index."""

    output_field = BooleanField()

    def __init__(self, column, texts, words=()):
        super().__init__(F(column))
        self.texts, self.words = list(texts), list(words)

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.get_source_expressions()[0])
        terms, term_params = [], []
        for text in self.texts:
            terms.append(f"f_unaccent({column}) %% f_unaccent(%s)")
            term_params.extend([*params, text])
        for word in self.words:
            terms.append(f"f_unaccent({column}) %%> f_unaccent(%s)")
            term_params.extend([*params, word])
        return f"({' OR '.join(terms)})", tuple(term_params)


class Likeness(Func):
    """PostgreSQL: how much the column resembles the closest of `texts`, from 0 to 1: the
    greatest pg_trgm similarity, or word similarity for `words`. Orders the candidates
    the index found, so that a limit keeps the closest."""

    output_field = FloatField()

    def __init__(self, column, texts, words=()):
        super().__init__(F(column))
        self.texts, self.words = list(texts), list(words)

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.get_source_expressions()[0])
        terms = [f"similarity(f_unaccent({column}), f_unaccent(%s))" for _ in self.texts]
        terms += [f"word_similarity(f_unaccent(%s), f_unaccent({column}))" for _ in self.words]
        term_params = []
        for text in self.texts:
            term_params.extend([*params, text])
        for word in self.words:
            term_params.extend([word, *params])
        return f"GREATEST({', '.join(terms)})", tuple(term_params)
