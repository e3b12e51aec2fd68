"""The command line answers without starting Qt."""

from __future__ import annotations

import subprocess
import sys

from payout_desk import __version__
from payout_desk.app import build_parser


def test_version_is_printed_by_the_real_console_entry() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "payout_desk", "--version"], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == f"payout-desk {__version__}"


def test_help_lists_every_option() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "payout_desk", "--help"], capture_output=True, text=True, check=True, timeout=60
    )
    for option in ("--sandbox", "--sandbox-url", "--data-dir", "--self-test", "--version"):
        assert option in out.stdout


def test_parser_reads_data_dir_as_a_path() -> None:
    args = build_parser().parse_args(["--data-dir", "/tmp/x", "--sandbox"])
    assert str(args.data_dir) == "/tmp/x"
    assert args.sandbox is True
