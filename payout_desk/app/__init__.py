"""The wiring room, above ``ui/``."""

from payout_desk.app.cli import build_parser, create_qt_application, launch, main, prepare_qt_environment

__all__ = ["build_parser", "create_qt_application", "launch", "main", "prepare_qt_environment"]
