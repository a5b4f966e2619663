"""The metric types a fresh database starts with. Editors add more in the admin."""

METRIC_TYPES = [
    (
        "downloads",
        "Downloads",
        "count",
        "App downloads (installs) counted by app stores or trackers.",
    ),
    ("app-store-rank", "App-store rank", "rank", "Position in an app store's download chart."),
    ("users", "Users", "count", "Active or registered users, as the source defines them."),
    ("revenue", "Revenue", "money", "Revenue over the period."),
    ("revenue-target", "Revenue target", "money", "Revenue a company aims for."),
    ("total-funding", "Total funding raised", "money", "All money raised to date."),
    ("planned-investment", "Planned investment", "money", "Money a company plans to invest."),
    ("valuation", "Valuation", "money", "What the company is valued at."),
    ("employees", "Employees", "count", "Head count."),
]
