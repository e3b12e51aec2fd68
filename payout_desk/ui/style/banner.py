"""The environment's colours (sandbox green, live red) shared by the main window's banner and the
confirm dialog. Plain strings, no Qt import: the main window uses them before the dialog is loaded."""

from __future__ import annotations

from typing import Final

SANDBOX_STYLE: Final = "background: #dcefe3; color: #17442b; border: 1px solid #9cc9ad;"
LIVE_STYLE: Final = "background: #b3261e; color: white; border: 1px solid #7d1a15;"
NEUTRAL_STYLE: Final = "background: palette(midlight); color: palette(text); border: 1px solid palette(mid);"
WARNING_STYLE: Final = "background: #fff3cd; color: #5c4400; border: 2px solid #b58100;"
BANNER_CSS: Final = "padding: 6px 12px; font-weight: bold; font-size: 13pt; border-radius: 4px;"
