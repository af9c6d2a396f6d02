"""The SQLite file: connection, schema and migrations, change log, search, backup.

Never imports Qt. One ``Store`` per thread: a connection must stay on the thread that opened it.
"""

from app.storage.store import Store, StoreError

__all__ = ["Store", "StoreError"]
