"""Actions declared once (Picard style): menus and the toolbar are built from the registry.

An ``ActionSpec`` holds everything about a command: its key, Vietnamese text, shortcut, status
tip, the menu it lives in, whether it is on the toolbar, and a predicate that says when it is
enabled. The main window declares its own in ``main_window.ACTIONS``; optional features add theirs
with ``window.actions.add(ActionSpec(...))`` from their ``register(window)``.

Predicates take the window and are re-evaluated by ``ActionRegistry.update_states()`` whenever
the selection or the data changes, so no code enables or disables actions by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QToolBar

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

Predicate = Callable[[Any], bool]
Handler = Callable[[Any], Any]


@dataclass(frozen=True)
class ActionSpec:
    key: str  # unique: "enterprise.new", "sync.export"
    text: str  # Vietnamese, with & before the mnemonic letter
    handler: Handler  # called with the window
    menu: str | None = None  # key of the menu ("file", "enterprise", ...) or None (shortcut only)
    shortcut: str | QKeySequence.StandardKey | None = None
    tip: str = ""  # status-bar tip, Vietnamese
    toolbar: bool = False
    enabled: Predicate | None = None  # None: always enabled
    section: int = 0  # actions in a menu are grouped by section, separators between groups
    checkable: bool = False
    short: str = ""  # the toolbar button's text (short, so the toolbar fits a 1024-pixel screen)


# Menus in their order on the menu bar: key -> Vietnamese title.
DEFAULT_MENUS: list[tuple[str, str]] = [
    ("file", "&Tệp"),
    ("enterprise", "&Doanh nghiệp"),
    ("view", "&Xem"),
    ("tools", "&Công cụ"),
    ("help", "T&rợ giúp"),
]


class ActionRegistry:
    """The window's actions, menus and toolbar."""

    def __init__(self, window: MainWindow, menubar: QMenuBar, toolbar: QToolBar):
        self._window = window
        self._menubar = menubar
        self._toolbar = toolbar
        self._specs: dict[str, ActionSpec] = {}
        self._actions: dict[str, QAction] = {}
        self._menus: dict[str, QMenu] = {}
        self._menu_sections: dict[str, list[int]] = {}
        for key, title in DEFAULT_MENUS:
            self.add_menu(key, title)

    # --- menus --------------------------------------------------------------------------------

    def add_menu(self, key: str, title: str, before: str | None = "help") -> QMenu:
        """A menu on the menu bar (features add theirs, e.g. ``add_menu("sync", "Đồng &bộ")``)."""
        if key in self._menus:
            return self._menus[key]
        menu = QMenu(title, self._menubar)
        menu.setObjectName(f"menu_{key}")
        anchor = self._menus.get(before) if before else None
        if anchor is not None:
            self._menubar.insertMenu(anchor.menuAction(), menu)
        else:
            self._menubar.addMenu(menu)
        self._menus[key] = menu
        self._menu_sections[key] = []
        return menu

    def menu(self, key: str) -> QMenu:
        return self._menus[key]

    # --- actions ------------------------------------------------------------------------------

    def add(self, spec: ActionSpec) -> QAction:
        if spec.key in self._specs:
            raise ValueError(f"action {spec.key!r} declared twice")
        action = QAction(spec.text, self._window)
        action.setObjectName(spec.key)
        if spec.shortcut is not None:
            action.setShortcut(QKeySequence(spec.shortcut))
        tip = spec.tip or spec.text.replace("&", "")
        if spec.shortcut is not None:
            tip_key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{tip} ({tip_key})" if tip_key else tip)
        else:
            action.setToolTip(tip)
        action.setStatusTip(tip)
        action.setCheckable(spec.checkable)
        if spec.short:
            action.setIconText(spec.short)
        window = self._window
        action.triggered.connect(lambda _checked=False, s=spec: s.handler(window))
        self._specs[spec.key] = spec
        self._actions[spec.key] = action
        if spec.menu is not None:
            if spec.menu not in self._menus:
                raise KeyError(f"menu {spec.menu!r} does not exist; add it with add_menu() first")
            self._insert_in_menu(spec, action)
        else:
            window.addAction(action)  # shortcut works without a menu entry
        if spec.toolbar:
            self._toolbar.addAction(action)
        self._update(spec.key)
        return action

    def add_all(self, specs: list[ActionSpec]) -> None:
        for spec in specs:
            self.add(spec)

    def _insert_in_menu(self, spec: ActionSpec, action: QAction) -> None:
        menu = self._menus[spec.menu]  # type: ignore[index]
        sections = self._menu_sections[spec.menu]  # type: ignore[index]
        if sections and spec.section != sections[-1] and spec.section not in sections:
            menu.addSeparator()
        if spec.section not in sections:
            sections.append(spec.section)
        # Keep sections together: insert after the last action of the same section.
        same = [
            a
            for k, a in self._actions.items()
            if self._specs[k].menu == spec.menu and self._specs[k].section == spec.section and a is not action
        ]
        if same:
            actions = menu.actions()
            idx = actions.index(same[-1])
            if idx + 1 < len(actions):
                menu.insertAction(actions[idx + 1], action)
                return
        menu.addAction(action)

    def action(self, key: str) -> QAction:
        return self._actions[key]

    def spec(self, key: str) -> ActionSpec:
        return self._specs[key]

    def keys(self) -> list[str]:
        return list(self._specs)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._specs))

    def trigger(self, key: str) -> None:
        self._actions[key].trigger()

    # --- enabled state ------------------------------------------------------------------------

    def _update(self, key: str) -> None:
        spec = self._specs[key]
        if spec.enabled is not None:
            try:
                enabled = bool(spec.enabled(self._window))
            except Exception:  # noqa: BLE001 - a predicate must never break the window
                enabled = False
            self._actions[key].setEnabled(enabled)

    def update_states(self) -> None:
        for key in self._specs:
            self._update(key)
