"""The importer's error for the user."""

from __future__ import annotations


class ImportFailed(Exception):
    """A file that cannot be imported, with a Vietnamese message saying what to do."""
