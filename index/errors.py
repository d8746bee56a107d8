"""Domain errors of the indexing pipeline; the CLI and the UI turn them into one clear message."""


class RathausError(Exception):
    """Base class of all errors that carry a message meant for the user."""


class DocumentUnreadable(RathausError):
    """A file cannot be turned into text (wrong type, empty, binary, broken)."""


class IndexMissing(RathausError):
    """There is no index yet: run `rathaus ingest` first."""


class IndexOutOfDate(RathausError):
    """The index was built with another embedding model and must be rebuilt."""


class IngestLocked(RathausError):
    """Another ingest holds the write lock on the data directory."""


class ConfigError(RathausError):
    """A setting is invalid; the message names the field and the fix."""


class IndexUnavailable(RathausError):
    """The Chroma server cannot be reached (server mode)."""
