"""A provider sandbox in its own process, for benchmarks that measure the app and not the emulator.

    python -m benchmarks.sandbox_server URL_FILE

Starts ``EmbeddedSandbox(port=0)`` on 127.0.0.1, writes its base URL to ``URL_FILE`` and serves until
stdin closes (the parent ends or dies) or 30 minutes pass.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from payout_desk.sandbox.embedded import EmbeddedSandbox

MAX_SECONDS = 1800.0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0])
    sandbox = EmbeddedSandbox(host="127.0.0.1", port=0)
    url = sandbox.start()
    try:
        target.with_suffix(".tmp").write_text(url)
        target.with_suffix(".tmp").replace(target)
        stdin_closed = threading.Event()

        def watch_stdin() -> None:
            sys.stdin.read()
            stdin_closed.set()

        threading.Thread(target=watch_stdin, daemon=True).start()
        stdin_closed.wait(MAX_SECONDS)
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
