"""The SQLite driver: SQLCipher through ``sqlcipher3``, the DB-API of the standard ``sqlite3``.

Every connection of the program comes from here, so the exception classes must come from here too
(``sqlcipher3``'s ``OperationalError`` is not ``sqlite3.OperationalError``): catch ``dbapi.Error``,
``dbapi.OperationalError`` and so on. Without ``PRAGMA key`` SQLCipher reads and writes plain
SQLite files, which the migration of an older program's file (app/storage/encryption.py) needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # sqlcipher3's DB-API is the standard sqlite3's (a C module the type checker cannot read)
    from sqlite3 import dbapi2 as dbapi
else:
    from sqlcipher3 import dbapi2 as dbapi

Connection = dbapi.Connection
Error = dbapi.Error
DatabaseError = dbapi.DatabaseError
OperationalError = dbapi.OperationalError
IntegrityError = dbapi.IntegrityError

PLAIN_MAGIC = b"SQLite format 3\x00"


def _quiet() -> None:
    """SQLCipher logs to stderr (process-wide) when a key does not fit; the program says it in Vietnamese."""
    conn = dbapi.connect(":memory:")
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
    finally:
        conn.close()


_quiet()


def is_plain_file(path) -> bool:
    """True if ``path`` is an unencrypted SQLite file (an older KhaoSat's, or a copy made by a test)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == PLAIN_MAGIC
    except FileNotFoundError:
        return False
