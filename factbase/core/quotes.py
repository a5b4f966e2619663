"""Where a quote stands once its source's text is edited.

An edit of a stored text is one changed stretch between an unchanged beginning and an
unchanged end (the longest common prefix and suffix of the two texts). A quote wholly in
the unchanged beginning keeps its offsets; one wholly in the unchanged end moves by the
change in length. A quote that touched the changed stretch (its words were kept, or the
edit would have been refused: Source._text_errors) is looked for in the new text: of the
places it stands, the one nearest where it stood. A quote found once is where it was
moved to; one found at several places is as likely at either, and the nearest is the
closest guess to where the editor left it.
"""

import os


def moved_start(before: str, after: str, quote: str, start: int | None) -> int | None:
    """Where in `after` the `quote` that stood at `start` in `before` stands, or None if
    it is not in `after`. A quote without a place (`start` None) is placed where it is
    first found, as a citation's own save places it."""
    if not quote or quote not in after:
        return None
    if start is None or before[start : start + len(quote)] != quote:
        return after.find(quote)
    end = start + len(quote)
    prefix = len(os.path.commonprefix([before, after]))
    # The common end may not reach into the common beginning of the shorter text.
    room = min(len(before), len(after)) - prefix
    suffix = min(len(os.path.commonprefix([before[::-1], after[::-1]])), room)
    if end <= prefix:
        return start
    if start >= len(before) - suffix:
        return start + len(after) - len(before)
    return _nearest(after, quote, start)


def _nearest(text: str, quote: str, near: int) -> int:
    """Of the places `quote` starts in `text`, the nearest to `near` (the earlier of two
    as near)."""
    best, position = None, text.find(quote)
    while position >= 0:
        if best is None or abs(position - near) < abs(best - near):
            best = position
        position = text.find(quote, position + 1)
    return best
