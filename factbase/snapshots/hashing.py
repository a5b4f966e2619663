"""Counting and hashing a file's bytes as they stream through, on export (HashingWriter)
and on import (HashingReader), so that a file is never read twice for its size and
SHA-256; and the form the descriptor gives a hash in (resource_hash)."""

import hashlib
import io


class HashingWriter(io.RawIOBase):
    """Counts and hashes what passes through to `target`."""

    def __init__(self, target):
        self.target = target
        self.sha256 = hashlib.sha256()
        self.bytes = 0

    def writable(self):
        return True

    def write(self, data):
        self.sha256.update(data)
        self.bytes += len(data)
        self.target.write(data)
        return len(data)


class HashingReader(io.RawIOBase):
    """Counts and hashes what is read from `source`."""

    def __init__(self, source):
        self.source = source
        self.sha256 = hashlib.sha256()
        self.bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.source.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.sha256.update(data)
        self.bytes += n
        return n

    def read(self, size=-1):
        data = self.source.read(size)
        self.sha256.update(data)
        self.bytes += len(data)
        return data


def resource_hash(sha256) -> str:
    """The Data Package form of a hash: the algorithm, a colon, the hex digest."""
    return f"sha256:{sha256.hexdigest()}"
