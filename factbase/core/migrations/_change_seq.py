"""Numbering history rows written without a number (by this migration's predecessors, in
bulk by generated data, or by a snapshot import): kept with the migrations that use it,
so that what they did does not change when the code does. See factbase.core.feed."""


def number_unnumbered(
    connection, history_tables: list[str], clock_table: str, provisional: bool = False
) -> int:
    """Give every history row of `history_tables` without a `change_seq` the next numbers
    of the clock, in the order of their time (then of the tables as listed, then of their
    history ids), and move the clock past them. The number of rows numbered.

    With `provisional` (the end of a batch of live writes, feed.batch), the rows with a
    provisional number, below zero (their place among the batch's writes), are numbered
    too, in the order of their time, then of those places. A migration passes none: what
    it did is the same."""
    qn = connection.ops.quote_name
    unnumbered = "change_seq IS NULL OR change_seq < 0" if provisional else "change_seq IS NULL"
    union = " UNION ALL ".join(
        f"SELECT {i} AS t, history_id, history_date, COALESCE(change_seq, 0) AS written "
        f"FROM {qn(table)} WHERE {unnumbered}"
        for i, table in enumerate(history_tables)
    )
    lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last FROM {qn(clock_table)} WHERE id = 1{lock}")
        base = cursor.fetchone()[0]
        cursor.execute(
            "CREATE TEMP TABLE change_order AS SELECT t, history_id, "
            f"{int(base)} + ROW_NUMBER() OVER "
            "(ORDER BY history_date, written DESC, t, history_id) AS seq "
            f"FROM ({union}) u"
        )
        cursor.execute("CREATE INDEX change_order_key ON change_order (t, history_id)")
        for i, table in enumerate(history_tables):
            cursor.execute(
                f"UPDATE {qn(table)} SET change_seq = o.seq FROM change_order o "
                f"WHERE o.t = {i} AND o.history_id = {qn(table)}.history_id"
            )
        cursor.execute("SELECT COUNT(*) FROM change_order")
        count = cursor.fetchone()[0]
        cursor.execute(f"UPDATE {qn(clock_table)} SET last = last + %s WHERE id = 1", [count])
        cursor.execute("DROP TABLE change_order")
    return count
