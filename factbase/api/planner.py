"""PostgreSQL's estimate of how many rows a statement gives: planned, not run. Read by the
pages (a whole large table is not counted) and the CSV export (how to count sources)."""

import json


def planned_rows(cursor, sql: str, params=None) -> int:
    # Without `params` the statement is run as it is, not read for placeholders (a search
    # inlined into it may hold `%>`, pg_trgm's word similarity operator): the export
    # passes none, its values inlined already.
    cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
    (plan,) = cursor.fetchone()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])
