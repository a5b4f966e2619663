"""The platforms a fresh database starts with. Editors add more in the admin."""

from factbase.services import record_save

PLATFORMS = [
    ("ios", "iOS"),
    ("android", "Android"),
    ("web", "Web"),
    ("windows", "Windows"),
    ("macos", "macOS"),
    ("linux", "Linux"),
    ("api", "API"),
]


def ensure_platforms() -> None:
    from .models import Platform

    existing = set(Platform.objects.values_list("slug", flat=True))
    for slug, name in PLATFORMS:
        if slug not in existing:
            record_save(Platform(slug=slug, name=name), reason="Initial vocabulary")
