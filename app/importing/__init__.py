"""Importing enterprise master lists (Excel .xlsx/.xls, CSV) into the store.

Qt-free. The flow: ``readers.open_workbook`` -> a sheet's ``Table`` (header found, legacy text
converted) -> ``mapping.guess`` (or a remembered / corrected mapping) -> ``plan.preview`` (every
row validated, duplicates and wards resolved) -> ``plan.execute`` (one transaction) and
``errorfile.write`` for the rows that did not go in.
"""
