"""The values of a unique key an import has met in a table, kept on disk so that memory
stays flat however large the table is (UniqueKey, in key_checks.py, uses it)."""

import hashlib
import sqlite3


class SeenKeys:
    """The values of one unique key met so far, each with its line, kept in a private
    temporary SQLite database on disk (SQLite's "" file name): a set in memory would grow
    by a few hundred bytes a row. Values are stored as 128-bit digests of their repr."""

    def __init__(self):
        self.db = sqlite3.connect("")
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("CREATE TABLE seen (key BLOB PRIMARY KEY, line INTEGER) WITHOUT ROWID")
        self.cursor = self.db.cursor()

    def add(self, key: tuple, line: int) -> int | None:
        """Remember `key` at `line`; if it was met before, the line it was met on."""
        digest = hashlib.blake2b(repr(key).encode(), digest_size=16).digest()
        cursor = self.cursor
        if cursor.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (digest, line)).rowcount:
            return None
        return cursor.execute("SELECT line FROM seen WHERE key = ?", (digest,)).fetchone()[0]

    def close(self) -> None:
        self.db.close()
