"""The ids of the tables an import has checked, which the foreign keys of the tables
checked after them are looked up in."""

from array import array
from bisect import bisect_right
from collections.abc import Container


class IdSet:
    """Ids added in increasing order, kept as runs of consecutive ids: a table of a
    million rows numbered without gaps takes two numbers."""

    def __init__(self):
        self.starts = array("q")
        self.ends = array("q")

    def add(self, value: int) -> None:
        if self.ends and value == self.ends[-1] + 1:
            self.ends[-1] = value
        else:
            self.starts.append(value)
            self.ends.append(value)

    def __contains__(self, value) -> bool:
        i = bisect_right(self.starts, value) - 1
        return i >= 0 and value <= self.ends[i]

    def lookup(self) -> Container:
        """The ids as they are now, for `in` only: a range when they run without a gap
        (what a table without deletions gives), which answers without a Python call."""
        if not self.starts:
            return range(0)
        if len(self.starts) == 1:
            return range(self.starts[0], self.ends[0] + 1)
        return self
