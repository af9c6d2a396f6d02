"""KhaoSat: offline survey of private enterprises and founding of Party and mass organisations.

Package layout (dependencies point one way: gui -> services -> storage/sync/printing -> domain):

- ``app.domain``    rules and records, pure Python (no Qt, no SQL)
- ``app.storage``   the SQLite file: schema, migrations, change log, search, backup
- ``app.services``  use cases shared by the GUI and the command line
- ``app.demo``      deterministic demo data
- ``app.cli``       the ``khaosat`` command
- ``app.gui``       the Qt desktop program (the only package that imports PySide6)
"""

__version__ = "0.1.0"
APP_NAME = "KhaoSat"
