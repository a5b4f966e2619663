"""Why the mirror stops."""


class MirrorError(Exception):
    """The mirror cannot go on: the message says why, and what to do if anything can."""
