"""Base classes whose hooks each concrete class must give."""

from __future__ import annotations


def test_every_form_and_workbook_gives_its_hooks():
    """RecordForm's hooks cannot be abc-abstract (Qt metaclass): every concrete form must override them."""
    import inspect

    from app.gui.forms import record_forms
    from app.gui.forms.base import RecordForm
    from app.importing import readers

    forms = [
        c
        for _, c in inspect.getmembers(record_forms, inspect.isclass)
        if issubclass(c, RecordForm) and c is not RecordForm
    ]
    assert len(forms) >= 4
    for cls in forms:
        for hook in RecordForm.HOOKS:
            assert getattr(cls, hook) is not getattr(RecordForm, hook), f"{cls.__name__}.{hook}"
    books = [
        c
        for _, c in inspect.getmembers(readers, inspect.isclass)
        if issubclass(c, readers.Workbook) and c is not readers.Workbook
    ]
    assert len(books) == 3 and not any(inspect.isabstract(c) for c in books)
