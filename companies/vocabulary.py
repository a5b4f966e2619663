"""The platforms a fresh database starts with. Editors add more in the admin."""

PLATFORMS = [
    ("ios", "iOS"),
    ("android", "Android"),
    ("web", "Web"),
    ("windows", "Windows"),
    ("macos", "macOS"),
    ("linux", "Linux"),
    ("api", "API"),
]
