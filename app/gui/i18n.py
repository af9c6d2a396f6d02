"""Vietnamese for Qt's own widgets (dialog buttons, file dialogs, context menus) and vi-VN locale.

Qt ships no Vietnamese translation of qtbase (neither the Qt project, nor PySide6's wheels, nor
Debian's qt6-translations-l10n have ``qtbase_vi``), so KhaoSat carries its own:
``resources/translations/qtbase_vi.ts`` (source, edited by hand or with pyside6-linguist) compiled
to ``qtbase_vi.qm`` with ``pyside6-lrelease`` (see ``resources/translations/README.md``). It covers
the Qt strings this program shows.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

from app.paths import resources_dir

TRANSLATIONS = ("qtbase_vi",)


def translations_dir() -> Path:
    return resources_dir() / "translations"


def install(app: QCoreApplication) -> list[QTranslator]:
    """Set the vi-VN locale and install the Vietnamese Qt translations. Returns the translators loaded."""
    QLocale.setDefault(QLocale(QLocale.Language.Vietnamese, QLocale.Country.Vietnam))
    loaded = []
    for name in TRANSLATIONS:
        translator = QTranslator(app)
        if translator.load(name, str(translations_dir())):
            app.installTranslator(translator)
            loaded.append(translator)
    return loaded
