"""The approval dialog's view of the rest of the body (second audit N7): whatever its size, the dialog stays on a
1024×640 screen and its buttons stay in view.

* ``approvalDangerHeading`` + ``approvalDangerFields``: the fields to check first (webhookUrl, a redirectUrl that
  is not the desk's own, any field the desk never writes), each with why, at the top of the dialog;
* ``approvalMetadataCount`` ("12 metadata entries") + ``approvalMetadataFields``: the metadata;
* both boxes are read-only, selectable, keyboard reachable (Tab moves on) and bounded: a long list scrolls inside
  its box, it never grows the dialog.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import QFrame, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

__all__ = ["DANGER_LINES", "METADATA_LINES", "bounded_box", "danger_block", "metadata_block"]

#: The most lines each box shows before it scrolls.
DANGER_LINES = 4
METADATA_LINES = 4


def bounded_box(
    parent: QWidget, name: str, accessible: str, lines: Sequence[str], most: int, *, tall: bool = False
) -> QPlainTextEdit:
    """A read-only box of ``lines``, as tall as they are up to ``most`` lines (``tall``: ``most`` lines always);
    more scroll inside it."""
    box = QPlainTextEdit(parent)
    box.setObjectName(name)
    box.setReadOnly(True)
    box.setTabChangesFocus(True)
    box.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
    )
    box.setPlainText("\n".join(lines))
    box.setAccessibleName(accessible)
    box.setAccessibleDescription("\n".join(lines[:50]))
    box.setFrameShape(QFrame.Shape.StyledPanel)
    box.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
    box.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)  # a long URL wraps too
    box.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    shown = most if tall else max(1, min(len(lines), most))
    document = int(box.document().documentMargin() * 2)
    box.setFixedHeight(box.fontMetrics().lineSpacing() * shown + document + box.frameWidth() * 2 + 4)
    return box


def danger_block(
    parent: QWidget, layout: QVBoxLayout, fields: Sequence[tuple[str, str, str]], style: str
) -> QPlainTextEdit:
    """The heading and the box of the fields to check first, added to ``layout``."""
    count = len(fields)
    heading = QLabel(
        f"⚠ Check first — {count} field{'' if count == 1 else 's'} sending money or payout events elsewhere, "
        "or that the desk never writes:",
        parent,
    )
    heading.setObjectName("approvalDangerHeading")
    heading.setWordWrap(True)
    heading.setTextFormat(Qt.TextFormat.PlainText)
    heading.setStyleSheet(style)
    heading.setAccessibleName(heading.text())
    layout.addWidget(heading)
    lines = [f"{name}: {value}   ← {why}" for name, value, why in fields]
    # always DANGER_LINES tall: an entry with a long address wraps onto a second line
    box = bounded_box(parent, "approvalDangerFields", f"Check first: {count} fields", lines, DANGER_LINES, tall=True)
    heading.setBuddy(box)
    layout.addWidget(box)
    return box


def metadata_block(parent: QWidget, entries: Sequence[tuple[str, str]]) -> QWidget:
    """The metadata count over its bounded box, one widget for a form row."""
    holder = QWidget(parent)
    column = QVBoxLayout(holder)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    count = len(entries)
    words = f"{count} metadata entr{'y' if count == 1 else 'ies'}"
    label = QLabel(words, holder)
    label.setObjectName("approvalMetadataCount")
    label.setAccessibleName(words)
    column.addWidget(label)
    lines = [f"{key}: {value}" for key, value in entries]
    column.addWidget(bounded_box(holder, "approvalMetadataFields", f"Metadata, {words}", lines, METADATA_LINES))
    return holder
