"""The front door, `/`: what Factbase is and holds (its records by kind, the latest
snapshot), and the ways in (the admin, the API, its docs and its schema). The admin's "View
site" leads here.

The page is public, so what it counts must cost nothing on a large database: a table the
planner knows to be large is given as its estimate ("about 1,000,000"), a small one is
counted exactly, all in one statement, and the figures are kept for a few minutes."""

from django.core.cache import cache
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from factbase.core.counts import ESTIMATE_ABOVE, count_each, table_sizes
from factbase.core.kinds import kinds
from factbase.core.models import Snapshot

CACHE_KEY = "factbase:front-door"
CACHE_SECONDS = 300


def holdings() -> list[dict]:
    """Each kind of record with an endpoint: its name, how many, whether that is an
    estimate, and its API list."""
    found = cache.get(CACHE_KEY)
    if found is None:
        listed = [kind for kind in kinds() if kind.endpoint]
        sizes = table_sizes([kind.model for kind in listed])
        exact = count_each(
            {
                kind.name: kind.model._default_manager.all()
                for kind in listed
                if sizes[kind.model] <= ESTIMATE_ABOVE
            }
        )
        found = [
            {
                "name": kind.model._meta.verbose_name_plural,
                "count": f"{exact.get(kind.name, sizes[kind.model]):,}",
                "estimated": kind.name not in exact,
                "url": f"{reverse('factbase-api:root')}{kind.name}/",
            }
            for kind in listed
        ]
        cache.set(CACHE_KEY, found, CACHE_SECONDS)
    return found


@require_safe
def front_door(request):
    snapshot = Snapshot.objects.order_by("-created_at", "-id").first()
    download = reverse("factbase-api:snapshot-download", args=[snapshot.pk]) if snapshot else None
    return render(
        request,
        "front.html",
        {"holdings": holdings(), "snapshot": snapshot, "snapshot_download": download},
    )
