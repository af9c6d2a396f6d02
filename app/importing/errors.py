"""The importer's error for the user."""

from __future__ import annotations


class ImportFailed(Exception):
    """A file that cannot be imported, with a Vietnamese message saying what to do.

    ``reason`` is a stable code (or ""): the command line adds the option to type for it, the window
    names the screen; the message itself never names a command, since both show it.
    """

    def __init__(self, message: str = "", reason: str = ""):
        super().__init__(message)
        self.reason = reason
