"""README.txt, the text an export puts next to the data for whoever opens the snapshot
without Factbase: its files, conventions, how to read them, and how to open them safely."""

README = "README.txt"


def readme(tables, *, pseudonymised: bool = False) -> bytes:
    lines = [line.rstrip() for line in README_TEXT.strip("\n").splitlines()]
    lines.append("")
    lines.extend(
        line.rstrip()
        for line in (PSEUDONYMISED_TEXT if pseudonymised else REAL_NAMES_TEXT)
        .strip("\n")
        .splitlines()
    )
    lines.append("")
    lines.extend(line.rstrip() for line in SAFETY_TEXT.strip("\n").splitlines())
    lines.append("")
    lines.append("Tables, in the order an import loads them:")
    lines.append("")
    width = max(len(t.name) for t in tables)
    for table in tables:
        lines.append(f"  {table.name:<{width}}  {table.title}")
    return ("\n".join(lines) + "\n").encode()


README_TEXT = """
Factbase snapshot
=================

Every table of a Factbase database, read in one transaction: a consistent copy of the
whole database at one moment. `python manage.py import_snapshot` loads it into an empty
database; `python manage.py diff_snapshots OLD NEW` compares two.

Files
-----

datapackage.json  A Frictionless Data Package (https://datapackage.org) describing every
                  file: its columns and their types, primary and foreign keys, size,
                  SHA-256 and row count; and the snapshot itself: format version
                  (factbase.format), the migrations the database had applied
                  (factbase.migrations), when it was taken (created, UTC) and the
                  version of the application (factbase.app_version).
                  `frictionless validate datapackage.json` checks the files against it.
README.txt        This file.
data/<table>.csv  One file per database table, named after it: the records
                  (companies_company, events_metric, ...), the many-to-many tables
                  (events_event_companies, ...), and the history tables
                  (companies_historicalcompany, ...; one row per change, with
                  history_date, history_type + ~ -, history_user_id and
                  history_change_reason).
data/users.csv    id and username of the users the other files name: the authors of
                  records and of their changes, for the created_by_id, updated_by_id
                  and history_user_id columns. No other user, no password hash, no
                  e-mail address. An import creates the users it does not find by
                  username (they cannot log in until given a password) and maps the ids.

Columns are the database columns. Foreign keys hold the id of the row they point to (a
*_id column); citations name the kind of record they support by its content type,
"app_label.model" (for example "events.metric"), never by a database id. In history
tables, references are not enforced and may name records deleted since.

Conventions
-----------

- UTF-8, comma separated, a header line, lines end with \\n (LF).
- A cell holding a comma, a double quote, a carriage return or a line feed is quoted
  with double quotes, and double quotes inside it are doubled (RFC 4180).
- Null (no value) is \\N, unquoted. An empty cell is the empty string. A string that is
  literally \\N is written quoted: "\\N".
- Integers: digits, with - for negatives.
- Decimal numbers: plain digits and a point, no exponent, no trailing zeros:
  1000000, 12.5, 0.0067.
- Booleans: true, false.
- Dates: YYYY-MM-DD. A partial date is stored as the first day of its period, with its
  precision in the column next to it (2025-02-01 and "month" is February 2025).
- Datetimes: UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ, always six digits of fraction.
- Rows are ordered by primary key. The same data always gives the same bytes, so a
  changed record shows as a one-line change in a text diff.

Reading it
----------

pandas, keeping null and the empty string apart and every value as text:

    import pandas as pd
    with open("data/events_metric.csv", newline="", encoding="utf-8") as f:
        metrics = pd.read_csv(f, keep_default_na=False, na_values=["\\\\N"], dtype=str)

(pandas cannot tell a quoted "\\N" from a null; nor can the csv module.)

Python's csv module: csv.reader(open(path, newline="", encoding="utf-8")), then treat
the cell \\N as null.

frictionless (pip install frictionless):

    frictionless validate datapackage.json
    python -c "import frictionless; print(frictionless.Package('datapackage.json')
        .get_resource('events_metric').read_rows()[:3])"

PostgreSQL:

    COPY events_metric FROM '/path/data/events_metric.csv'
        WITH (FORMAT csv, HEADER true, NULL '\\N');
"""

REAL_NAMES_TEXT = """
Usernames
---------

The usernames in data/users.csv are the users' own (datapackage.json:
factbase.usernames is "real").
"""

PSEUDONYMISED_TEXT = """
Usernames
---------

The usernames in data/users.csv are pseudonyms: user-<id>, from the user's id in this
snapshot (datapackage.json: factbase.usernames is "pseudonymised"). Rows by the same
author still name the same user; who that is, the snapshot does not say.
"""

SAFETY_TEXT = """
Opening the files safely
------------------------

Every cell is raw text exactly as the database stores it: nothing is escaped or
neutralised, so that an import gives back the same data. A cell may therefore begin with
=, +, - or @, and a spreadsheet program opening a CSV file directly may run such a cell
as a formula (which can fetch URLs or run commands). Do not double-click the files open;
import them as text:

- LibreOffice Calc: open the file as "Text CSV", and in the import dialog select every
  column and set its type to Text.
- Excel: Data > From Text/CSV, then Transform Data and set every column's data type to
  Text (or, in the legacy Text Import Wizard, set every column to Text).
- Code: a CSV library (Python's csv module) or pandas with dtype=str, as shown above;
  neither evaluates anything.
"""
