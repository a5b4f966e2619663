"""Which record a name means: likely duplicates before a record is created, and records
named by the user by id, slug, name, alias or the slug a merged record had.

- names.py: the comparable form of a name (`fold`), and how alike two folded names are;
- duplicates.py: the records a new one is likely a duplicate of, and the likely pairs
  already stored (the admin's "Likely duplicates" page);
- refs.py: one resolver for a record named in a filter or a write (`resolve_refs`);
- sql.py: the database side of both (pg_trgm and f_unaccent on PostgreSQL, the same
  folding as Python functions on SQLite);
- api.py: the API's duplicate check on create (409 unless `?allow_duplicate=true`).

docs/resolution.md explains them with examples.
"""
