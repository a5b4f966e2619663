"""Where an export writes the snapshot's files: a ZIP (ZipTarget) or a folder (DirTarget),
each opening the members in turn and, if the export fails, removing what it wrote."""

import contextlib
import hashlib
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from .errors import SnapshotFileError

# Fixed for every member, so that the same files give the same ZIP, byte for byte.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ZIP_MODE = 0o100644  # a regular file, rw-r--r--
ZIP_COMPRESSION = zipfile.ZIP_DEFLATED
# Mostly CSV: level 1 keeps most of the gain of compressing at a fraction of the time.
ZIP_LEVEL = 1


class ZipTarget:
    """Writes members in the order given, with fixed metadata. Written to a temporary file
    (next to the destination when it is a path, moved into place when complete, so a
    failed export leaves no half-written snapshot) and then, for a file object, copied to
    it: zipfile writes other headers to a stream it cannot seek back in, and the bytes
    must not depend on the kind of output."""

    def __init__(self, out):
        self.out = out
        if isinstance(out, str | os.PathLike):
            path = Path(out)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in close/abort
                dir=path.parent, prefix=f".{path.name}.", suffix=".part", delete=False
            )
        else:
            self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close/abort
        self.zip = zipfile.ZipFile(self.file, "w", ZIP_COMPRESSION, compresslevel=ZIP_LEVEL)

    def open(self, name: str):
        info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
        info.compress_type = ZIP_COMPRESSION
        info._compresslevel = ZIP_LEVEL  # ZipInfo has no public way to set it
        info.create_system = 3
        info.external_attr = ZIP_MODE << 16
        return self.zip.open(info, "w", force_zip64=True)

    def write(self, name: str, data: bytes) -> None:
        with self.open(name) as member:
            member.write(data)

    def close(self) -> tuple[int, str]:
        """Finish the ZIP; its size and SHA-256."""
        self.zip.close()
        self.file.seek(0)
        sha256, size = hashlib.sha256(), 0
        while chunk := self.file.read(1 << 20):
            sha256.update(chunk)
            size += len(chunk)
            if not isinstance(self.out, str | os.PathLike):
                self.out.write(chunk)
        self.file.close()
        if isinstance(self.out, str | os.PathLike):
            # The temporary file was created private (0600): give the snapshot the
            # permissions any new file gets.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.file.name, 0o666 & ~umask)
            os.replace(self.file.name, self.out)
        return size, sha256.hexdigest()

    def abort(self) -> None:
        # The export already failed: keep its error, not one from closing.
        with contextlib.suppress(Exception):
            self.zip.close()
        self.file.close()
        if isinstance(self.out, str | os.PathLike):
            Path(self.file.name).unlink(missing_ok=True)


class DirTarget:
    def __init__(self, path):
        self.path = Path(path)
        if self.path.exists() and (not self.path.is_dir() or any(self.path.iterdir())):
            raise SnapshotFileError(f"{self.path} exists and is not an empty folder.")
        (self.path / "data").mkdir(parents=True, exist_ok=True)

    def open(self, name: str):
        return open(self.path / name, "wb")

    def write(self, name: str, data: bytes) -> None:
        (self.path / name).write_bytes(data)

    def close(self) -> tuple[int, None]:
        size = sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())
        return size, None

    def abort(self) -> None:
        """Remove what was written: the folder was empty before."""
        for child in self.path.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
