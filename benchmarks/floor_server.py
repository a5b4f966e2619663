"""The floor's answers served over HTTP, under the project's own gunicorn settings.

Started by benchmarks/api_bench.py beside the API's server (same gunicorn.conf.py, same
environment, so the same workers, threads and connection handling), it answers the paths
of the JSON cases with the bytes of `api_bench.Floor`: prepared statements, plain Python,
orjson, and no Django request at all. The API's time over this one's is what Django and
Factbase add to a request; this one's over the floor's in process is what any answer over
HTTP costs (the connection, gunicorn's parsing and threads, the client's reading).

    FLOOR_CASES     JSON: {"<path and query>": ["page" | "detail", <its arguments>]}
    FLOOR_API_BASE  the API's address, which the answers' links name
    FLOOR_COUNT_ESTIMATED  "1" when the API's lists say whether their count is estimated
"""

import json
import os
import threading

import api_bench  # sets Django up: the database settings, the floor's statements

CASES = json.loads(os.environ["FLOOR_CASES"])
BASE = os.environ["FLOOR_API_BASE"]
COUNT_ESTIMATED = os.environ.get("FLOOR_COUNT_ESTIMATED") == "1"

# One floor (one psycopg connection, its statements prepared once) per server thread.
_local = threading.local()


def app(environ, start_response):
    floor = getattr(_local, "floor", None)
    if floor is None:
        floor = _local.floor = api_bench.Floor(BASE, COUNT_ESTIMATED)
    case = CASES.get(environ.get("RAW_URI", environ["PATH_INFO"]))
    if case is None:
        body = b'{"detail": "Not a case of the floor."}'
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [body]
    method, *args = case
    body = getattr(floor, method)(*args)
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
