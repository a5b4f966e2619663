from django.core.management.base import BaseCommand, CommandError

from factbase.snapshots import formats
from factbase.snapshots.diff import DiffError, diff_snapshots, show
from factbase.snapshots.errors import SnapshotFileError


class Command(BaseCommand):
    help = (
        "Compare two snapshots (ZIP files or folders): per table, the records added, "
        "removed and changed, and for each changed record the fields with their old and "
        "new values. Tables are read as streams, in primary key order; tables whose files "
        "are identical are skipped. --format csv writes one line per change: "
        "table,key,change,field,old,new (null as \\N)."
    )

    def add_arguments(self, parser):
        parser.add_argument("old", help="The earlier snapshot.")
        parser.add_argument("new", help="The later snapshot.")
        parser.add_argument("--format", choices=("text", "csv"), default="text")

    def handle(self, *args, **options):
        write = self.stdout.write
        as_csv = options["format"] == "csv"
        current = {"table": None}

        def emit_text(change):
            if current["table"] != change.table:
                current["table"] = change.table
                write(change.table)
            mark = {"added": "+", "removed": "-", "changed": "~"}[change.kind]
            write(f"  {mark} {change.key}")
            for name, old, new in change.fields:
                write(f"      {name}: {show(old)} -> {show(new)}")

        def cell(value):
            return formats.NULL if value is None else formats.quote(value)

        def emit_csv(change):
            if not change.fields:
                write(f"{formats.quote(change.table)},{change.key},{change.kind},,,")
            for name, old, new in change.fields:
                write(
                    f"{formats.quote(change.table)},{change.key},{change.kind},"
                    f"{formats.quote(name)},{cell(old)},{cell(new)}"
                )

        if as_csv:
            write("table,key,change,field,old,new")
        try:
            summaries = diff_snapshots(
                options["old"], options["new"], emit_csv if as_csv else emit_text
            )
        except (DiffError, SnapshotFileError, OSError) as error:
            raise CommandError(str(error)) from error
        if not as_csv:
            self.write_summary(summaries)

    def write_summary(self, summaries):
        """The text format's closing lines: one per table that differs, then the totals."""
        write = self.stdout.write
        differing = [s for s in summaries if s.differs]
        if not differing:
            write("No differences.")
            return
        write("")
        for s in differing:
            write(f"{s.table}: {', '.join(summary_parts(s))}")
        write(
            f"{len(differing)} of {len(summaries)} tables differ: "
            f"{sum(s.added for s in differing):,} added, "
            f"{sum(s.removed for s in differing):,} removed, "
            f"{sum(s.changed for s in differing):,} changed."
        )


def summary_parts(summary) -> list[str]:
    """What differs in one table: the counts, and whether the table or its columns are
    only in one snapshot."""
    parts = [
        f"{summary.added:,} added",
        f"{summary.removed:,} removed",
        f"{summary.changed:,} changed",
    ]
    if summary.only_in:
        parts.append(f"only in the {summary.only_in} snapshot")
    if summary.columns_added:
        parts.append(f"new columns {', '.join(summary.columns_added)}")
    if summary.columns_removed:
        parts.append(f"columns gone {', '.join(summary.columns_removed)}")
    return parts
