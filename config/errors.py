"""The one error tree of Saisine.

Every failure a user can meet is a `SaisineError` whose message says where it
happened (which file, which stage). Third-party exceptions are wrapped with
`raise X(...) from err` at the edge that called the library, so callers only
ever catch this tree, and the CLI turns it into a one-line message.
"""


class SaisineError(Exception):
    """Base of every error Saisine raises on purpose."""


class ConfigError(SaisineError):
    """The settings are invalid or incomplete."""


class ExtractionError(SaisineError):
    """A fiche could not be read."""


class UnsupportedFile(ExtractionError):
    """The file is not a format Saisine reads (by content, not by name)."""


class RejectedFile(ExtractionError):
    """The file looks hostile or breaks a limit (size, zip bomb, DOCTYPE...)."""


class LimitExceeded(RejectedFile):
    """Parsing ran out of time or memory in its sandbox."""


class MissingTool(ExtractionError):
    """An external program needed for this format is not installed."""
