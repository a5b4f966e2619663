"""One POST of a change to a receiver, and what came of it.

The standard library's urllib, with redirects refused: a receiver that moved answers 3xx,
which is logged as a failure naming where it went, rather than followed (a POST turned
into a GET by the redirect would be reported delivered without being received).
"""

import http.client
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

USER_AGENT = "Factbase-Webhooks/1"
ERROR_MAX = 500  # characters of an error kept in the log
ANSWER_READ = 64 * 1024  # bytes of an answer read before the connection is closed


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx


_opener = urllib.request.build_opener(_NoRedirects)


@dataclass
class Result:
    delivered: bool
    status_code: int | None
    error: str
    duration_ms: int


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Result:
    """POST `body` as JSON; delivered when the receiver answers 2xx."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
    )
    start = time.monotonic()
    status, error = None, ""
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(ANSWER_READ)
            status = response.status
    except urllib.error.HTTPError as answer:  # 3xx, 4xx, 5xx
        status = answer.code
        error = _http_error(answer)
    except urllib.error.URLError as failure:
        error = str(failure.reason)
    except (OSError, http.client.HTTPException, ValueError) as failure:  # timeouts too
        error = f"{type(failure).__name__}: {failure}"
    elapsed = round((time.monotonic() - start) * 1000)
    delivered = status is not None and 200 <= status < 300
    if status is not None and not delivered and not error:
        error = f"HTTP {status}"
    return Result(delivered, status, (error or "")[:ERROR_MAX], elapsed)


def _http_error(answer: urllib.error.HTTPError) -> str:
    where = answer.headers.get("Location") if 300 <= answer.code < 400 else None
    try:
        text = answer.read(200).decode("utf-8", errors="replace").strip()
    except OSError:
        text = ""
    finally:
        answer.close()
    text = " ".join(text.split())
    detail = f"redirected to {where}" if where else text
    return f"HTTP {answer.code}" + (f": {detail}" if detail else "")
