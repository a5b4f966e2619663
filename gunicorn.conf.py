"""gunicorn settings, read by `gunicorn factbase.wsgi` from the working directory.

The same command runs the app locally (`make serve`), in benchmarks and in docker-compose;
only the environment differs.
"""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))  # long CSV exports stream
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
