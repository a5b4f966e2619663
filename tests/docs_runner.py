"""Runs the shell examples of a docs/*.md file against a live server on the demo data, and
checks each curl's answer against what the page says it is. Used by test_docs_examples.py.

What a page promises, and how it is read:

- Every ```sh block runs, top to bottom, in one bash process, so that a variable set in
  one block (`export TOKEN=...`) is there in the next. `127.0.0.1:8000` is the server's
  address; `python` is the project's; `python manage.py` acts on the server's database.
- A curl answers 2xx, unless the line right after the command is a comment
  `# <status> ...`: then that status, and when the comment goes on with JSON, the answer
  has its shape.
- A 2xx JSON list (`results`) is not empty; a CSV has a header and at least one row.
- A ```json block right after a ```sh block shows the shape of the answer of that block's
  last curl.
- Shapes compare keys, not values: an object has the keys shown (and only those, unless it
  shows `...`), each of a list's items has the shape of one shown, an object or a list
  shown is an object or a list.
- A block preceded by `<!-- not run: <why> -->` is not run (it needs something the demo
  server does not have), nor one preceded by `<!-- not run on sqlite: <why> -->` on that
  database; such blocks are counted and reported.
"""

import atexit
import csv
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DOC_PORT = "127.0.0.1:8000"
NOT_RUN = re.compile(r"^<!--\s*not run(?: on (?P<vendor>\w+))?:\s*(?P<why>.*?)\s*-->$")
FENCE = re.compile(r"^```(?P<lang>\S*)\s*$")
STATUS_COMMENT = re.compile(r"^\s*#\s*(?P<status>[1-5]\d\d)\b\s*(?P<rest>.*)$")
CURL = re.compile(r"(^|[\s;|&(`])curl\s")
MORE = "__more__"  # what "..." in a page's JSON stands for
BODY_SHOWN = 300  # characters of an answer quoted in a failure


@dataclass
class Block:
    lang: str
    start: int  # line number of the first line inside the fence (1-based)
    lines: list[str]
    not_run: str = ""  # why, when the page says not to run it
    not_run_on: str = ""  # the database it is not run on; "" for none at all
    answer: str = ""  # the text of a ```json block right after this one

    def skipped(self, vendor: str) -> bool:
        return bool(self.not_run) and self.not_run_on in ("", vendor)

    @property
    def end(self) -> int:
        return self.start + len(self.lines) - 1

    def has_curl(self) -> bool:
        return any(CURL.search(line) for line in self.lines)


@dataclass
class Page:
    path: Path
    blocks: list[Block]

    @property
    def name(self) -> str:
        return str(self.path.relative_to(ROOT))

    @property
    def shell(self) -> list[Block]:
        return [block for block in self.blocks if block.lang == "sh"]

    def runnable(self, vendor: str) -> list[Block]:
        return [block for block in self.shell if not block.skipped(vendor)]

    def excluded(self, vendor: str) -> list[Block]:
        return [block for block in self.shell if block.skipped(vendor)]

    def line(self, number: int) -> str:
        return self.text_lines[number - 1] if 0 < number <= len(self.text_lines) else ""

    @property
    def text_lines(self) -> list[str]:
        return self.path.read_text(encoding="utf-8").splitlines()


def read_page(path: Path) -> Page:
    """The fenced blocks of a markdown page, with the not-run markers before them and the
    ```json block that follows each (blank lines apart)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    marker, index = None, 0
    while index < len(lines):
        line = lines[index]
        fence = FENCE.match(line)
        if fence is None:
            if line.strip():
                marker = NOT_RUN.match(line.strip())
            index += 1
            continue
        close = index + 1
        while close < len(lines) and not lines[close].startswith("```"):
            close += 1
        block = Block(fence.group("lang"), index + 2, lines[index + 1 : close])
        if marker is not None:
            block.not_run, block.not_run_on = marker.group("why"), marker.group("vendor") or ""
        blocks.append(block)
        marker, index = None, close + 1
    for before, after in zip(blocks, blocks[1:], strict=False):
        between = lines[before.end + 1 : after.start - 2]  # after the close, before the open
        if before.lang == "sh" and after.lang == "json" and not any(s.strip() for s in between):
            before.answer = "\n".join(after.lines)
    return Page(path, blocks)


def pages_with_curl() -> list[Page]:
    pages = [read_page(path) for path in sorted(DOCS.glob("*.md"))]
    return [page for page in pages if any(block.has_curl() for block in page.shell)]


# --- what a command expects ------------------------------------------------------------


def command_end(lines: list[str], start: int) -> int:
    """The index of the last line of the shell command that starts at lines[start]: lines
    go on after a trailing backslash or inside an open quote."""
    quote = ""
    index = start
    while index < len(lines):
        line = lines[index]
        escaped = False
        for char in line:
            if escaped:
                escaped = False
            elif char == "\\" and quote != "'":
                escaped = True
            elif quote:
                if char == quote:
                    quote = ""
            elif char in "'\"":
                quote = char
            elif char == "#" and not quote:
                break
        continued = line.rstrip().endswith("\\") and not quote
        if not quote and not continued:
            return index
        index += 1
    return len(lines) - 1


@dataclass
class Expected:
    status: int | None = None  # None: any 2xx
    shape: object = None  # parsed JSON with MORE markers, or None


def expectation(page: Page, line: int) -> Expected:
    """What the page says the command at `line` answers: the comment on the line after it."""
    lines = page.text_lines
    after = command_end(lines, line - 1) + 1
    found = STATUS_COMMENT.match(lines[after]) if after < len(lines) else None
    if found is None:
        return Expected()
    rest = found.group("rest").strip()
    shape = parse_shown_json(rest) if rest[:1] in "{[" else None
    return Expected(int(found.group("status")), shape)


def parse_shown_json(text: str) -> object:
    """JSON as a page shows it, where `...` (outside strings) means "more may follow"."""
    out, stack, quote, escaped, index = [], [], False, False, 0
    while index < len(text):
        char = text[index]
        if quote:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quote = False
        elif text.startswith("...", index):
            out.append(f'"{MORE}": null' if stack and stack[-1] == "{" else f'"{MORE}"')
            index += 3
            continue
        else:
            if char == '"':
                quote = True
            elif char in "[{":
                stack.append(char)
            elif char in "]}" and stack:
                stack.pop()
            out.append(char)
        index += 1
    return json.loads("".join(out))


def shape_problems(shown: object, actual: object, path: str = "") -> list[str]:
    """Where `actual` does not have the shape `shown` (from parse_shown_json)."""
    where = path or "the answer"
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return [f"{where} is {type(actual).__name__}, the page shows an object"]
        problems = []
        keys = [key for key in shown if key != MORE]
        missing = [key for key in keys if key not in actual]
        if missing:
            problems.append(f"{where} lacks {', '.join(missing)}")
        extra = [key for key in actual if key not in shown]
        if extra and MORE not in shown:
            problems.append(f"{where} has keys the page does not show: {', '.join(extra)}")
        for key in keys:
            if key in actual:
                problems += shape_problems(shown[key], actual[key], f"{path}.{key}".lstrip("."))
        return problems
    if isinstance(shown, list):
        if not isinstance(actual, list):
            return [f"{where} is {type(actual).__name__}, the page shows a list"]
        items = [item for item in shown if item != MORE]
        if items and not actual:
            return [f"{where} is empty, the page shows items"]
        problems = []
        for index, item in enumerate(actual):
            if not items:
                break
            # The item shown at its place (the last for those past it), or any other
            # shown: a list may hold items of several shapes (a version's changes).
            model = items[min(index, len(items) - 1)]
            found = shape_problems(model, item, f"{path}[{index}]")
            if found and not any(not shape_problems(other, item) for other in items):
                problems += found
        return problems
    if isinstance(actual, (dict, list)):
        return [f"{where} is {type(actual).__name__}, the page shows a plain value"]
    return []


# --- running a page --------------------------------------------------------------------

# Defined before the page's blocks: every curl is recorded (its line, status, headers and
# body) and its body still goes where the page sends it (stdout, a pipe, a file).
PRELUDE = r"""
set -E
trap 'printf "%s\t%s\n" "$LINENO" "$?" >> "$DOCS_RUN/errors"' ERR
curl() {
  local call own_output=1 arg rc=0
  call=$(mktemp -d "$DOCS_RUN/call.XXXXXX")
  printf '%s\t%s\n' "${BASH_LINENO[0]}" "$call" >> "$DOCS_RUN/calls"
  for arg in "$@"; do
    case "$arg" in
      -o|-O|--output|--remote-name|--remote-name-all|-[!-]*[oO]*) own_output=0 ;;
    esac
  done
  if [ "$own_output" = 1 ]; then
    command curl -S --max-time 60 -D "$call/headers" -o "$call/body" \
      -w '%{http_code}\n%{filename_effective}\n' "$@" > "$call/meta" 2> "$call/stderr" || rc=$?
    cat "$call/body" 2> /dev/null || true
  else
    command curl -S --max-time 60 -D "$call/headers" \
      -w '%{http_code}\n%{filename_effective}\n' "$@" > "$call/meta" 2> "$call/stderr" || rc=$?
  fi
  echo "$rc" > "$call/rc"
  return "$rc"
}
"""


@dataclass
class Call:
    line: int  # in the page
    status: int
    headers: str
    body: bytes
    exit_code: int
    stderr: str

    @property
    def content_type(self) -> str:
        found = re.findall(r"(?im)^content-type:\s*([^;\r\n]+)", self.headers)
        return found[-1].strip().lower() if found else ""

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def shown(self) -> str:
        return self.text()[:BODY_SHOWN]


@dataclass
class Run:
    calls: list[Call] = field(default_factory=list)
    errors: list[tuple[int, int]] = field(default_factory=list)  # (page line, exit status)
    output: str = ""
    exit_code: int = 0


def build_script(page: Page, port: int, vendor: str) -> tuple[str, dict[int, int]]:
    """The bash script of the page's runnable blocks, and each script line's page line."""
    lines = PRELUDE.strip("\n").splitlines()
    where: dict[int, int] = {}
    for block in page.runnable(vendor):
        lines.append(f"# --- {page.name}, line {block.start}")
        for offset, text in enumerate(block.lines):
            lines.append(text.replace(DOC_PORT, f"127.0.0.1:{port}"))
            where[len(lines)] = block.start + offset
    return "\n".join(lines) + "\n", where


def run_page(page: Page, *, port: int, env: dict, workdir: Path, vendor: str) -> Run:
    script, where = build_script(page, port, vendor)
    record = workdir / "record"
    record.mkdir()
    (workdir / "script.sh").write_text(script, encoding="utf-8")
    done = subprocess.run(
        ["bash", str(workdir / "script.sh")],
        cwd=workdir,
        env=env | {"DOCS_RUN": str(record)},
        capture_output=True,
        timeout=240,
    )
    run = Run(
        output=(done.stdout + done.stderr).decode("utf-8", errors="replace"),
        exit_code=done.returncode,
    )
    calls = record / "calls"
    for entry in calls.read_text().splitlines() if calls.exists() else []:
        script_line, directory = entry.split("\t")
        run.calls.append(read_call(Path(directory), where.get(int(script_line), 0), workdir))
    errors = record / "errors"
    for entry in errors.read_text().splitlines() if errors.exists() else []:
        script_line, status = entry.split("\t")
        run.errors.append((where.get(int(script_line), 0), int(status)))
    return run


def read_call(directory: Path, line: int, workdir: Path) -> Call:
    meta = (directory / "meta").read_text().splitlines() if (directory / "meta").exists() else []
    status = int(meta[0]) if meta and meta[0].isdigit() else 0
    body_file = directory / "body"
    if not body_file.exists() and len(meta) > 1 and meta[1]:
        body_file = workdir / meta[1]
    body = body_file.read_bytes() if body_file.exists() else b""
    if body.startswith(b"HTTP/"):  # curl -i: the headers come first
        for separator in (b"\r\n\r\n", b"\n\n"):
            if separator in body:
                body = body.split(separator, 1)[1]
                break
    return Call(
        line=line,
        status=status,
        headers=_read(directory / "headers"),
        body=body,
        exit_code=int(_read(directory / "rc").strip() or 0),
        stderr=_read(directory / "stderr"),
    )


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


# --- checking the answers --------------------------------------------------------------


def check(page: Page, run: Run, vendor: str) -> list[str]:
    """Every way the run differs from what the page says, one message each."""
    failures = []
    for call in run.calls:
        failures += check_call(page, call)
    failing_curls = {call.line for call in run.calls if call.exit_code}
    for line, status in run.errors:
        if line not in failing_curls:
            failures.append(
                f"{page.name}:{line}: `{page.line(line).strip()}` exited with status {status}"
            )
    ran = {call.line for call in run.calls}
    for block in page.runnable(vendor):
        for offset, text in enumerate(block.lines):
            line = block.start + offset
            if CURL.search(text) and not text.lstrip().startswith("#") and line not in ran:
                failures.append(f"{page.name}:{line}: this curl never ran")
        if block.answer:
            last = [call for call in run.calls if block.start <= call.line <= block.end]
            if last and 200 <= last[-1].status < 300:
                failures += check_shape(page, last[-1], parse_shown_json(block.answer), "```json")
    if run.exit_code and not failures:
        failures.append(f"{page.name}: bash exited with {run.exit_code}: {run.output[-800:]}")
    return failures


def check_call(page: Page, call: Call) -> list[str]:
    where = f"{page.name}:{call.line}"
    if call.exit_code:
        return [f"{where}: curl failed ({call.exit_code}): {call.stderr.strip()[:BODY_SHOWN]}"]
    expected = expectation(page, call.line)
    wanted = str(expected.status) if expected.status else "2xx"
    ok = call.status == expected.status if expected.status else 200 <= call.status < 300
    if not ok:
        return [f"{where}: status {call.status}, expected {wanted}: {call.shown()}"]
    failures = []
    if expected.shape is not None:
        failures += check_shape(page, call, expected.shape, f"# {expected.status}")
    if expected.status is None or 200 <= expected.status < 300:
        failures += check_content(where, call)
    return failures


def check_content(where: str, call: Call) -> list[str]:
    if call.content_type == "application/json":
        try:
            body = json.loads(call.body)
        except ValueError:
            return [f"{where}: status {call.status}, not JSON: {call.shown()}"]
        if isinstance(body, dict) and body.get("results") == []:
            return [f"{where}: status {call.status}, an empty list: {call.shown()}"]
    elif call.content_type == "text/csv":
        rows = list(csv.reader(io.StringIO(call.text())))
        if len(rows) < 2:
            return [f"{where}: status {call.status}, a CSV without rows: {call.shown()}"]
    return []


def check_shape(page: Page, call: Call, shown: object, what: str) -> list[str]:
    where = f"{page.name}:{call.line}"
    try:
        actual = json.loads(call.body)
    except ValueError:
        return [f"{where}: status {call.status}, not JSON as {what} shows: {call.shown()}"]
    return [
        f"{where}: status {call.status}, not the shape {what} shows: {problem}: {call.shown()}"
        for problem in shape_problems(shown, actual)
    ]


# --- the server and its database -------------------------------------------------------


def vendor_of(settings_db: dict) -> str:
    return "postgresql" if "postgresql" in settings_db["ENGINE"] else "sqlite"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def base_env(database_url: str, workdir: Path) -> dict:
    """The environment of the server and of the page's commands: the venv's `python`
    first on PATH, the demo database, files kept in the work directory."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DJANGO_"))
    }
    bin_dir = str(Path(sys.executable).parent)
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(ROOT),
        DATABASE_URL=database_url,
        MEDIA_ROOT=str(workdir / "media"),
        DEBUG="true",
        PYTHONUNBUFFERED="1",
    )
    return env


@contextmanager
def demo_database(settings_db: dict, tmp_path: Path) -> Iterator[str]:
    """A new database of the suite's engine holding the demo data (migrated, then
    `load_demo`), as a DATABASE_URL; dropped after. Each is a copy of one made once per
    test process: migrating a new database takes several seconds, copying one a fraction
    of a second, and every server of the suite starts on the same demo data."""
    template = _demo_template(settings_db)
    if vendor_of(settings_db) == "sqlite":
        path = tmp_path / "docs.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    import psycopg

    params = _admin_params(settings_db)
    name = f"fb_docs_examples_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(**params) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _url(params, name)
    finally:
        with psycopg.connect(**params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin_params(settings_db: dict) -> dict:
    return {
        "host": settings_db.get("HOST") or "127.0.0.1",
        "port": settings_db.get("PORT") or 5432,
        "user": settings_db.get("USER") or "postgres",
        "password": settings_db.get("PASSWORD") or None,
        "dbname": "postgres",
        "autocommit": True,
    }


def _url(params: dict, name: str) -> str:
    password = f":{params['password']}" if params["password"] else ""
    return f"postgres://{params['user']}{password}@{params['host']}:{params['port']}/{name}"


_templates: dict[str, str] = {}


def _demo_template(settings_db: dict) -> str:
    """The database every demo_database is copied from (a PostgreSQL database's
    name, or an SQLite file's path), made on first use and removed when the process
    ends. Nothing connects to it after it is made, as PostgreSQL's copy requires."""
    vendor = vendor_of(settings_db)
    if vendor in _templates:
        return _templates[vendor]
    scratch = Path(tempfile.mkdtemp(prefix="fb-demo-template-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    workdir = workdir_for(scratch)
    if vendor == "sqlite":
        template = str(scratch / "demo.sqlite3")
        url = f"sqlite:///{template}"
    else:
        import psycopg

        params = _admin_params(settings_db)
        template = f"fb_demo_template_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(**params) as admin:
            admin.execute(f'CREATE DATABASE "{template}"')

        def drop():
            with psycopg.connect(**params) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')

        atexit.register(drop)
        url = _url(params, template)
    env = base_env(url, workdir)
    manage(env, "migrate", "--noinput", "-v", "0", "--skip-checks", cwd=workdir)
    manage(env, "load_demo", "--skip-checks", cwd=workdir)
    _templates[vendor] = template
    return template


def manage(env: dict, *args: str, cwd: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


@contextmanager
def demo_server(env: dict, workdir: Path) -> Iterator[int]:
    """`runserver` on a free port, on the demo data of the environment's database (one
    from demo_database)."""
    port = free_port()
    log = (workdir / "server.log").open("wb")
    command = ["runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *command],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_up(port, server, workdir / "server.log")
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def wait_until_up(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer /healthz:\n{log.read_text()[-2000:]}")


def workdir_for(tmp_path: Path) -> Path:
    """Where the page's commands run: a scratch directory with the project's manage.py,
    so that `python manage.py ...` works and the files examples write (`> downloads.csv`,
    `curl -OJ`) stay out of the working tree."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "manage.py").symlink_to(ROOT / "manage.py")
    return workdir
