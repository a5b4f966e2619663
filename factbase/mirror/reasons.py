"""The history reason of a change the mirror applies: the origin's author, time and reason,
within the 100 characters a reason has (factbase.core.reasons).

`mirror: alice 2025-02-10T12:00Z: Corrected from the filing`. The origin keeps the whole
reason; here it is cut, with an ellipsis, when it does not fit after the author and time.
A change no user made (a command, or a user deleted since) says `(no user)`.
"""

import datetime

from factbase.core.reasons import reason_text, room

PREFIX = "mirror"
LONGEST_USERNAME = 40  # so that the time and some of the reason always fit
ELLIPSIS = "…"


def _cut(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + ELLIPSIS


def _minute(at) -> str:
    """The origin's time to the minute, in UTC; as given if it is not a time."""
    try:
        moment = datetime.datetime.fromisoformat(str(at))
    except ValueError:
        return str(at)
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%MZ")


def mirror_reason(entry: dict) -> str:
    """The reason recorded here for the change `entry` of the origin's feed."""
    who = _cut(entry.get("user") or "(no user)", LONGEST_USERNAME)
    text = f"{who} {_minute(entry.get('at'))}"
    if entry.get("reason"):
        text += f": {entry['reason']}"
    return reason_text(_cut(text.replace("\x00", ""), room(PREFIX)), prefix=PREFIX)
