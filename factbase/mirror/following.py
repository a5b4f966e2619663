"""Following the origin's change feed: each page applied in one transaction, with the
cursor it reaches, so that a mirror stopped at any point (a crash, an error, a signal)
goes on from the change after the last one it kept, never skipping or repeating one."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone

from factbase.core.feed import hold

from .applying import Applier, NeedMore
from .changes import Change, read_change
from .client import Origin
from .errors import MirrorError
from .models import MirrorOrigin

PAGE = 500  # changes asked for at a time


@dataclass
class Progress:
    applied: int = 0
    cursor: int = 0


def follow(
    origin: Origin,
    state: MirrorOrigin,
    *,
    user,
    page: int = PAGE,
    log: Callable[[str], None] = lambda text: None,
) -> Progress:
    """Apply every change the origin's feed holds after `state.cursor`; return when caught
    up. MirrorError, naming the change, if one cannot be applied: the pages before it are
    kept, nothing of its own page is."""
    applier = Applier(user=user)
    progress = Progress(cursor=state.cursor)
    pending: list[Change] = []
    asked = state.cursor
    more = True
    while more or pending:
        if more:
            answer = origin.get_json(origin.api("changes/", after=asked, limit=page))
            fetched, asked, more = _read_page(origin, answer, asked)
            pending += fetched
        if not pending:
            break
        try:
            _apply_page(applier, state, pending, complete=not more)
        except NeedMore:
            continue  # the write goes on in the next page: applied with it
        progress.applied += len(pending)
        progress.cursor = state.cursor
        log(f"Applied {progress.applied:,} changes, up to cursor {state.cursor}.")
        pending = []
    _record_run(state)
    return progress


def _read_page(origin: Origin, answer: dict, asked: int) -> tuple[list[Change], int, bool]:
    """The changes of a page of the feed, where to ask next, and whether more follow."""
    results, cursor = answer.get("results"), answer.get("cursor")
    if not isinstance(results, list) or not (isinstance(cursor, str) and cursor.isdigit()):
        raise MirrorError(
            f"The origin's answer to {origin.api('changes/', after=asked)} is not a page of "
            "its change feed: is it a Factbase with a change feed?"
        )
    changes = [read_change(entry) for entry in results]
    order = [asked] + [change.cursor for change in changes]
    if order != sorted(set(order)):
        raise MirrorError(
            f"The origin's feed after cursor {asked} is not in order: it gave "
            f"{', '.join(map(str, order[1:11]))}..."
        )
    return changes, int(cursor), bool(answer.get("next")) and bool(changes)


def _apply_page(applier: Applier, state: MirrorOrigin, changes: list[Change], *, complete):
    """Apply `changes` and move the cursor past them, in one transaction."""
    with transaction.atomic():
        # The change clock first, as every write takes it (factbase.core.feed), then the
        # origin's row: a second mirror of the same origin waits here, then finds the
        # cursor moved on.
        hold(DEFAULT_DB_ALIAS)
        stored = MirrorOrigin.objects.select_for_update().get(pk=state.pk)
        if stored.cursor != state.cursor:
            raise MirrorError(
                f"Another run moved the cursor of {state.url} from {state.cursor} to "
                f"{stored.cursor}: one mirror at a time."
            )
        applier.apply_all(changes, complete=complete)
        stored.cursor = changes[-1].cursor
        stored.last_run = timezone.now()
        stored.last_error = ""
        stored.save(update_fields=["cursor", "last_run", "last_error"])
    state.cursor = stored.cursor


def _record_run(state: MirrorOrigin) -> None:
    state.last_run = timezone.now()
    state.last_error = ""
    MirrorOrigin.objects.filter(pk=state.pk).update(last_run=state.last_run, last_error="")


def record_error(state: MirrorOrigin, message: str) -> None:
    """Keep why the run stopped with the origin's row (after its transaction rolled back)."""
    MirrorOrigin.objects.filter(pk=state.pk).update(last_run=timezone.now(), last_error=message)
