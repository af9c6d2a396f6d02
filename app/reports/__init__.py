"""Numbers and lists for printed and exported documents, computed from the database.

Qt-free and free of any rendering: each function takes a ``Store`` and returns plain data
structures that ``app.printing`` (PDF) and ``app.reports.excel`` (.xlsx) render.
"""
