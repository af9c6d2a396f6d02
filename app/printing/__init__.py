"""Printed documents (PDF with reportlab): visit forms, reports, key registration forms.

Qt-free. Every document is drawn from plain values or from the data structures of
``app.reports``; files are written atomically (``app.fileio.atomic_output``).
"""
