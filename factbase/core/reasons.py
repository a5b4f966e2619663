"""The reason a writer gives for a change: one limit and one rule for every way in.

A reason is kept in the history row of each record it changes, in django-simple-history's
`history_change_reason` column of 100 characters. Some writes add a few words of their own
before the writer's ("Restored: ...", "Reverted to version 3: ...", "load_demo: ..."); the
whole must fit. A reason that does not fit is refused, naming what was too long, wherever it
comes from (admin form, API header or body, command option): never cut without a word.
Nor is one that shows nothing (zero-width spaces) taken for a reason.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from .text import invisible_text_problem

MAX_LENGTH = 100  # history_change_reason's column


def room(prefix: str = "") -> int:
    """How many characters the writer's reason may have after `prefix`."""
    return MAX_LENGTH - (len(prefix) + 2 if prefix else 0)


def reason_text(reason: str | None, *, prefix: str = "") -> str:
    """The text kept in history for `reason` given after `prefix` (`"<prefix>: <reason>"`,
    or either alone). Raises ValidationError when it does not fit, holds a NUL or shows
    nothing."""
    reason = reason or ""
    if "\x00" in reason:
        raise ValidationError("A reason cannot hold a NUL character.", code="null_characters")
    if invisible_text_problem(reason, one_line=False):
        # A required reason of zero-width spaces would pass for one and say nothing.
        raise ValidationError(
            "A reason that shows nothing (only invisible characters or spaces) is no reason: "
            "say why, or leave it empty where it may be.",
            code="invisible_text",
        )
    if len(reason) > room(prefix):
        raise ValidationError(
            f"A reason has at most {room(prefix)} characters here; this one has {len(reason)}.",
            code="max_length",
        )
    return f"{prefix}: {reason}" if prefix and reason else (prefix or reason)


def command_reason(command: str, reason: str = "") -> str:
    """The history reason of a management command's writes: a command has no user, so
    the reason names it ("load_demo", or "load_demo: <the operator's reason>"). A reason
    that does not fit is a CommandError naming --reason."""
    try:
        return reason_text(reason, prefix=command)
    except ValidationError as error:
        raise CommandError(f"--reason: {' '.join(error.messages)}") from error
