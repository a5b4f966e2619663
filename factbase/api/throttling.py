"""The `export` throttle scope: whole-table work (CSV exports, snapshots taken through
the API) counts against a stricter rate than page reads, per user or per address."""

from rest_framework.throttling import SimpleRateThrottle


class ExportRateThrottle(SimpleRateThrottle):
    scope = "export"

    def get_cache_key(self, request, view):
        renderer = getattr(request, "accepted_renderer", None)
        is_csv = request.method == "GET" and getattr(renderer, "format", None) == "csv"
        takes_snapshot = request.method == "POST" and getattr(view, "export_on_post", False)
        if not (is_csv or takes_snapshot):
            return None  # not an export: only the anon and user rates apply
        user = request.user
        ident = user.pk if user and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
