"""How a payout status looks: a colour AND a shape icon AND a text label — never colour alone.

Public API::

    status_style(status: str, palette: QPalette | None = None) -> StatusStyle
        # .label (domain ``status_label``), .tone (domain ``StatusTone``), .color (QColor readable on
        # the palette's base colour, ≥ 4.5:1 contrast), .icon (QIcon: a small painted shape per tone;
        # its ``QIcon.Mode.Selected`` pixmaps are the same shape in the palette's highlighted-text
        # colour, so the icon stays readable on a selected row, as the selected text does)
    tone_color(tone, palette=None) -> QColor
    tone_icon(tone, palette=None) -> QIcon
    contrast_ratio(a: QColor, b: QColor) -> float        # WCAG 2 relative-luminance contrast
    is_dark(palette) -> bool

The shapes differ per tone so the status reads in greyscale and for colour-blind users: success is a
disc with a check mark, failure a disc with a cross, warning a triangle with "!", progress a ring
with clock hands, neutral an empty ring. Pure painting (no theme icons, which are missing offscreen).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Final

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QIcon, QPainter, QPainterPath, QPalette, QPen, QPixmap

from payout_desk.domain.status import StatusTone, status_label, status_tone

__all__ = ["StatusStyle", "contrast_ratio", "is_dark", "status_style", "tone_color", "tone_icon"]

# Chosen for ≥ 4.5:1 contrast against white (light) and against #1e1e1e … #2d2d2d (dark).
_LIGHT: Final[dict[StatusTone, str]] = {
    StatusTone.SUCCESS: "#17702f",
    StatusTone.FAILURE: "#c62828",
    StatusTone.WARNING: "#8a5a00",
    StatusTone.PROGRESS: "#0b5cad",
    StatusTone.NEUTRAL: "#57606a",
}
_DARK: Final[dict[StatusTone, str]] = {
    StatusTone.SUCCESS: "#4ac26b",
    StatusTone.FAILURE: "#ff7b72",
    StatusTone.WARNING: "#e3b341",
    StatusTone.PROGRESS: "#79c0ff",
    StatusTone.NEUTRAL: "#a8b1bb",
}
_ICON_SIZE: Final = 16


@dataclass(frozen=True)
class StatusStyle:
    """Everything a view needs to show one status."""

    status: str
    label: str
    tone: StatusTone
    color: QColor
    icon: QIcon


def _palette(palette: QPalette | None) -> QPalette:
    if palette is not None:
        return palette
    return QGuiApplication.palette()


def is_dark(palette: QPalette | None = None) -> bool:
    """True when the palette's base (list background) colour is dark."""
    return _palette(palette).color(QPalette.ColorRole.Base).lightness() < 128


def tone_color(tone: StatusTone, palette: QPalette | None = None) -> QColor:
    """The tone's text colour for this palette (light or dark variant)."""
    table = _DARK if is_dark(palette) else _LIGHT
    return QColor(table[StatusTone(tone)])


def _luminance(color: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF()) + 0.0722 * channel(color.blueF())


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio between two colours (1 … 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _paint_shape(painter: QPainter, tone: StatusTone, color: QColor, size: int, *, knockout: bool = False) -> None:
    """Paint the tone's shape in ``color``; the marks inside (check, cross, "!") are white, or with
    ``knockout`` cut out of the shape so whatever is behind (the selection colour) shows through."""
    s = float(size)
    pen = QPen(color, max(1.5, s / 9))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    inset = QRectF(1.5, 1.5, s - 3, s - 3)
    white = QPen(QColor("white"), max(1.8, s / 8))
    white.setCapStyle(Qt.PenCapStyle.RoundCap)

    def marks() -> None:
        painter.setPen(white)
        if knockout:
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)

    if tone is StatusTone.SUCCESS:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(color))
        painter.drawEllipse(inset)
        marks()
        path = QPainterPath(QPointF(s * 0.28, s * 0.52))
        path.lineTo(QPointF(s * 0.44, s * 0.68))
        path.lineTo(QPointF(s * 0.73, s * 0.34))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
    elif tone is StatusTone.FAILURE:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(color))
        painter.drawEllipse(inset)
        marks()
        a, b = s * 0.33, s * 0.67
        painter.drawLine(QPointF(a, a), QPointF(b, b))
        painter.drawLine(QPointF(a, b), QPointF(b, a))
    elif tone is StatusTone.WARNING:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(color))
        tri = QPainterPath(QPointF(s / 2, 1.0))
        tri.lineTo(QPointF(s - 1.0, s - 1.5))
        tri.lineTo(QPointF(1.0, s - 1.5))
        tri.closeSubpath()
        painter.drawPath(tri)
        marks()
        painter.drawLine(QPointF(s / 2, s * 0.38), QPointF(s / 2, s * 0.62))
        painter.drawPoint(QPointF(s / 2, s * 0.78))
    elif tone is StatusTone.PROGRESS:
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(inset)
        painter.drawLine(QPointF(s / 2, s / 2), QPointF(s / 2, s * 0.25))
        painter.drawLine(QPointF(s / 2, s / 2), QPointF(s * 0.70, s * 0.62))
    else:
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(inset)


def _pixmap(tone: StatusTone, color: QColor, size: int, *, knockout: bool) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    _paint_shape(painter, tone, color, size, knockout=knockout)
    painter.end()
    return pixmap


@cache
def _icon(tone: StatusTone, color_name: str, selected_name: str) -> QIcon:
    icon = QIcon()
    for size in (_ICON_SIZE, _ICON_SIZE * 2):
        icon.addPixmap(_pixmap(tone, QColor(color_name), size, knockout=False), QIcon.Mode.Normal)
        # On a selected row (the views paint icons in Selected mode there) the tone colour would sit on
        # the selection colour with too little contrast: draw the shape like the selected text instead.
        icon.addPixmap(_pixmap(tone, QColor(selected_name), size, knockout=True), QIcon.Mode.Selected)
    return icon


def tone_icon(tone: StatusTone, palette: QPalette | None = None) -> QIcon:
    """A small painted icon whose SHAPE identifies the tone (cached per tone and colours); its
    Selected-mode pixmaps use the palette's highlighted-text colour."""
    tone = StatusTone(tone)
    selected = _palette(palette).color(QPalette.ColorRole.HighlightedText)
    return _icon(tone, tone_color(tone, palette).name(), selected.name())


def status_style(status: str, palette: QPalette | None = None) -> StatusStyle:
    """Label, tone, colour and icon for a stored status string (unknown statuses: WARNING, verbatim)."""
    tone = status_tone(status)
    return StatusStyle(
        status=status,
        label=status_label(status),
        tone=tone,
        color=tone_color(tone, palette),
        icon=tone_icon(tone, palette),
    )
