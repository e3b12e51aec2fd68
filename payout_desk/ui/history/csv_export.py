"""UI glue for the history CSV export: the save-file dialog and the result sentence.

The export itself is the facade's ``PayoutDesk.export_csv(query, path)`` (formula injection defused,
UTF-8 with BOM, atomic, owner-only file); ``HistoryPanel.export_to(path)`` runs it asynchronously.

    ask_export_path(parent) -> Path | None     # QFileDialog; ".csv" added when missing
    export_summary(rows, path, totals) -> str  # "Exported 1,234 payouts to payouts-2026-11-24.csv" + totals
    export_failure(path, error) -> str         # why a file could not be written, in words, with the next step
"""

from __future__ import annotations

import errno
from datetime import date
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

__all__ = ["ask_export_path", "default_export_path", "export_failure", "export_summary"]

_REASONS = {
    errno.ENOENT: "the folder does not exist",
    errno.ENOTDIR: "the folder does not exist",
    errno.EISDIR: "it is a folder",
    errno.EACCES: "you may not write there",
    errno.EPERM: "you may not write there",
    errno.EROFS: "that disk is read-only",
    errno.ENOSPC: "the disk is full",
}


def default_export_path(today: date | None = None) -> Path:
    """``~/payouts-YYYY-MM-DD.csv``."""
    return Path.home() / f"payouts-{(today or date.today()):%Y-%m-%d}.csv"


def ask_export_path(parent: QWidget | None) -> Path | None:
    """Ask where to write the CSV; None when the person cancels."""
    chosen, _filter = QFileDialog.getSaveFileName(
        parent, "Export payouts to CSV", str(default_export_path()), "CSV files (*.csv)"
    )
    if not chosen:
        return None
    path = Path(chosen)
    return path if path.suffix.lower() == ".csv" else path.with_name(path.name + ".csv")


def export_summary(rows: int, path: Path, totals: str = "") -> str:
    """The sentence shown after an export, then the exported rows' totals per currency (if given)."""
    said = f"Exported {rows:,} payout{'s' if rows != 1 else ''} to {path.name}"
    return f"{said}\n{totals}" if totals else said


def export_failure(path: Path, error: OSError) -> str:
    """Why the CSV could not be written to ``path``, in words, with the next step (the OS's own
    message, with its temporary file name, belongs in the log)."""
    reason = _REASONS.get(error.errno or 0, error.strerror or "the system refused it")
    return f"{path} could not be written: {reason}. Choose another place and export again."
