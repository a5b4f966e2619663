def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "replica: reads through a real PostgreSQL streaming replica (REPLICA_URL; "
        "`.ci/replica start` makes one)",
    )
