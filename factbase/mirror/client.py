"""The origin's API over HTTP (the standard library's urllib: a few GETs, one POST and a
download need no client library), and what its failures say."""

import hashlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

API_PATH = "/api/v1/"
TIMEOUT = 60  # seconds a request may wait for the origin's answer
SNAPSHOT_TIMEOUT = 3600  # the origin answers a snapshot it is asked to take once it is stored
RETRIES = 5  # times a request the origin throttles (429) is sent again
LONGEST_WAIT = 60  # seconds waited before sending it again, whatever Retry-After says
CHUNK = 1 << 20


class OriginError(Exception):
    """The origin did not answer, or answered something the mirror cannot use."""


def origin_address(url: str) -> str:
    """The origin's address as the mirror keeps it: scheme, host, port and path prefix,
    without a trailing slash (its API root, if given, is taken off). ValueError says what
    is wrong with it."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{url!r} is not an http(s) address such as https://facts.example.org")
    if parts.query or parts.fragment:
        raise ValueError(f"{url!r}: give the origin's address, without a query or a fragment")
    path = parts.path.rstrip("/")
    if path.endswith(API_PATH.rstrip("/")):
        path = path[: -len(API_PATH.rstrip("/"))]
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class Origin:
    """Another Factbase, by its address; `token` (a user's API token there), if given, is
    sent with every request."""

    def __init__(self, url: str, token: str | None = None):
        self.url = origin_address(url)
        self.token = token or None

    def api(self, path: str, **params) -> str:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return f"{self.url}{API_PATH}{path}{query}"

    def get_json(self, url: str) -> dict:
        return self._json("GET", url, TIMEOUT)

    def post_json(self, url: str, *, timeout: float = TIMEOUT) -> dict:
        return self._json("POST", url, timeout, body=b"")

    def download(self, url: str, path: Path, *, sha256: str) -> None:
        """Save the file at `url` to `path`; OriginError if its SHA-256 is not `sha256`."""
        digest = hashlib.sha256()
        with (
            self._open("GET", url, TIMEOUT, accept="application/zip") as answer,
            path.open("wb") as file,
        ):
            while chunk := answer.read(CHUNK):
                digest.update(chunk)
                file.write(chunk)
        if digest.hexdigest() != sha256:
            raise OriginError(
                f"The file downloaded from {url} does not have the SHA-256 the origin lists "
                f"for it ({sha256}): it changed or was cut on the way."
            )

    def _json(self, method: str, url: str, timeout: float, body: bytes | None = None) -> dict:
        with self._open(method, url, timeout, body=body) as answer:
            raw = answer.read()
        try:
            data = json.loads(raw)
        except ValueError as error:
            raise OriginError(f"The origin's answer to {method} {url} is not JSON.") from error
        if not isinstance(data, dict):
            raise OriginError(f"The origin's answer to {method} {url} is not a JSON object.")
        return data

    def _open(self, method, url, timeout, *, body=None, accept="application/json"):
        headers = {"Accept": accept, "User-Agent": "factbase-mirror"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        for attempt in range(RETRIES + 1):
            try:
                return urllib.request.urlopen(request, timeout=timeout)
            except urllib.error.HTTPError as error:
                # Throttled reads are sent again once the origin says they may be; a POST
                # that is refused is the caller's to handle (HTTPStatus).
                if error.code == 429 and method == "GET" and attempt < RETRIES:
                    time.sleep(_retry_after(error))
                    continue
                raise HTTPStatus(method, url, error) from error
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                reason = getattr(error, "reason", None) or error
                raise OriginError(
                    f"The origin {self.url} does not answer ({reason}) to {method} {url}."
                ) from error
        raise AssertionError("unreachable")  # pragma: no cover


class HTTPStatus(OriginError):
    """The origin answered with an error status (4xx, 5xx): the message says which, to
    what, and the origin's own words."""

    def __init__(self, method: str, url: str, error: urllib.error.HTTPError):
        self.status = error.code
        try:
            body = error.read(4000).decode("utf-8", errors="replace")
        except OSError:
            body = ""
        detail = _detail(body)
        super().__init__(
            f"The origin answered {error.code} {error.reason} to {method} {url}"
            + (f": {detail}" if detail else ".")
        )


def _detail(body: str) -> str:
    """What the origin said about an error: its JSON `detail`, or the start of its body."""
    try:
        data = json.loads(body)
    except ValueError:
        return " ".join(body.split())[:300]
    if isinstance(data, dict) and "detail" in data:
        return str(data["detail"])
    return json.dumps(data, ensure_ascii=False)[:300]


def _retry_after(error: urllib.error.HTTPError) -> float:
    try:
        seconds = float(error.headers.get("Retry-After", "1"))
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 0.5), LONGEST_WAIT)
