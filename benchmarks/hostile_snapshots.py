"""What hostile snapshots cost `manage.py import_snapshot`: seconds and peak RSS until it
refuses them.

Builds, in a temporary folder, from a snapshot of a freshly migrated SQLite database:

- descriptor: a ZIP whose datapackage.json is the real descriptor followed by --size MiB
  of blanks (still valid JSON), about 1 MB compressed;
- no-newline: a ZIP whose data/companies_company.csv is --size MiB of "a" without a line
  feed, about 1 MB compressed;
- no-newline-63x: the same member made of a block of 4,096 random letters repeated, at
  deflate level 1: it compresses 63:1 (16 MB for 1 GiB), under the ratio limit, so that
  the line limit is what stops it;

then runs `manage.py import_snapshot <zip>` on each as a child process, into that SQLite
database, killed after --timeout seconds, and reports its exit status, wall-clock seconds,
peak RSS (the child's ru_maxrss, from wait4) and the first line of its error output.

    .venv/bin/python benchmarks/hostile_snapshots.py                 # this checkout
    .venv/bin/python benchmarks/hostile_snapshots.py --root /other/checkout --timeout 60

--root runs another copy of the project (its manage.py, and its .venv/bin/python when it
has one): an older version, to compare. Each root gets its own database and base
snapshot, since an import needs the migrations of the snapshot.
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 16 << 20
MEMBER = "data/companies_company.csv"
DESCRIPTOR = "datapackage.json"


def python_of(root: Path) -> str:
    venv = root / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def manage(root: Path, env: dict, *args: str) -> None:
    subprocess.run(
        [python_of(root), "manage.py", *args], cwd=root, env=env, check=True, timeout=600
    )


def rezip(
    base: Path, out: Path, name: str, prefix: bytes, fill: bytes, size: int, level: int
) -> None:
    """`base` with member `name` replaced by `prefix` and `size` bytes of `fill` repeated,
    deflated at `level`, streamed: the large member is never in memory."""
    block = fill * (CHUNK // len(fill))
    with zipfile.ZipFile(base) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            if info.filename != name:
                new.writestr(info.filename, old.read(info), zipfile.ZIP_DEFLATED, 9)
                continue
            target = zipfile.ZipInfo(name, date_time=info.date_time)
            target.compress_type = zipfile.ZIP_DEFLATED
            target._compresslevel = level  # ZipInfo has no public way to set it
            with new.open(target, "w", force_zip64=True) as member:
                member.write(prefix)
                left = size
                while left:
                    n = min(left, len(block))
                    member.write(block[:n])
                    left -= n


def run(root: Path, env: dict, snapshot: Path, timeout: float) -> dict:
    """import_snapshot on `snapshot`, as a child; its outcome, seconds and peak RSS."""
    with tempfile.TemporaryFile() as err:
        started = time.monotonic()
        child = subprocess.Popen(
            [python_of(root), "manage.py", "import_snapshot", str(snapshot)],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        timed_out = False
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - started > timeout:
                child.send_signal(signal.SIGKILL)
                timed_out = True
                pid, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.05)
        seconds = time.monotonic() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        lines = [line for line in err.read().decode(errors="replace").splitlines() if line]
    return {
        "outcome": f"killed after {timeout:g} s" if timed_out else f"exit {child.returncode}",
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "first_error": lines[0][:300] if lines else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="The project to run.")
    parser.add_argument("--size", type=int, default=1024, help="MiB decompressed (1024).")
    parser.add_argument("--timeout", type=float, default=300, help="Seconds per import.")
    parser.add_argument("--keep", type=Path, help="Build in this folder and keep it.")
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    args = parser.parse_args()
    root = args.root.resolve()
    work = Path(args.keep or tempfile.mkdtemp(prefix="hostile-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}"}
        (work / "db.sqlite3").unlink(missing_ok=True)
        manage(root, env, "migrate", "-v", "0")
        base = work / "base.zip"
        manage(root, env, "export_snapshot", "--out", str(base), "-v", "0")
        with zipfile.ZipFile(base) as snapshot:
            real_descriptor = snapshot.read(DESCRIPTOR)
        size = args.size << 20
        letters = random.Random(1).choices(b"abcdefghijklmnopqrstuvwxyz0123456789", k=4096)
        cases = {
            "descriptor": (DESCRIPTOR, real_descriptor, b" ", 9),
            "no-newline": (MEMBER, b"", b"a", 9),
            "no-newline-63x": (MEMBER, b"", bytes(letters), 1),
        }
        results = {}
        for case, (name, prefix, fill, level) in cases.items():
            bomb = work / f"{case}.zip"
            rezip(base, bomb, name, prefix, fill, size, level)
            result = {
                "member": name,
                "decompressed": len(prefix) + size,
                "zip_bytes": bomb.stat().st_size,
                **run(root, env, bomb, args.timeout),
            }
            results[case] = result
            print(
                f"{case:<14} {name:<26} {result['decompressed']:>14,} bytes in a "
                f"{result['zip_bytes']:>10,}-byte ZIP: {result['outcome']:<18} "
                f"{result['seconds']:8.2f} s {result['peak_rss_mb']:9.1f} MB peak RSS"
            )
            print(f"{'':14} {result['first_error']}")
            bomb.unlink()
        with open("/proc/loadavg") as load:
            loadavg = " ".join(load.read().split()[:3])
        print(f"load average: {loadavg}")
        if args.json:
            args.json.write_text(
                json.dumps({"root": str(root), "load": loadavg, "results": results}, indent=2)
            )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
