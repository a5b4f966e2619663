"""The review queue, `GET /api/v1/facts/`: every fact of every kind in one list, to find
the facts that need an editor (disputed, unverified, uncited, backed by one source).

- filters.py: its parameters, one FilterSet applied to each kind of fact;
- queue.py: the rows, one UNION ALL sorted and paged by the database, and their count;
- entries.py: a row as the queue shows it (subject, summary, sources), read per kind;
- views.py: the endpoint, its schema and its CSV.
"""
