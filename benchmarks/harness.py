"""The benchmark harness: statistics, figures with their targets, the table, JSON, machine info, children.

Pure parts (``median``, ``percentile``, ``max_in_window``, :class:`Figure`, ``format_table``,
``results_payload``) import nothing from Qt and are unit-tested. Every measurement runs in a child
process (``run_child``) that prints one ``BENCH {json}`` line per result; the parent never imports Qt,
so a crash or a hang in one benchmark cannot take the others with it, and memory figures are clean.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "BENCH_PREFIX",
    "RESULTS_DIR",
    "ROOT",
    "ChildError",
    "Figure",
    "Options",
    "child_env",
    "emit",
    "format_table",
    "machine_info",
    "max_in_window",
    "median",
    "percentile",
    "proc_status_kib",
    "results_payload",
    "run_child",
    "tree_peak_kib",
    "write_json",
]

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
BENCH_PREFIX = "BENCH "


# --------------------------------------------------------------------------------------- statistics
def median(values: Sequence[float]) -> float:
    """The median (mean of the middle two for an even count). ValueError when empty."""
    if not values:
        raise ValueError("median of no values")
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2.0


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0–100), linear interpolation between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= p <= 100.0:
        raise ValueError("p must be within 0..100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def max_in_window(timestamps: Iterable[float], window: float = 1.0) -> int:
    """The largest number of timestamps inside any half-open interval ``[t, t + window)``."""
    ordered = sorted(timestamps)
    best = start = 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


# --------------------------------------------------------------------------------------- options
@dataclass(frozen=True)
class Options:
    """What ``python -m benchmarks`` was asked for; every benchmark reads its sizes from here."""

    quick: bool = False
    rows: int = 1_000_000
    runs: int = 5
    verbose: bool = False
    workdir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))

    def as_json(self) -> dict[str, Any]:
        return {"quick": self.quick, "rows": self.rows, "runs": self.runs}


# --------------------------------------------------------------------------------------- figures
@dataclass
class Figure:
    """One line of the table: a median (or percentile) with its baseline and target.

    ``target_max`` is an absolute bound in ``unit``; ``target_ratio`` a bound on value / baseline.
    ``ok`` is None when there is no target (informational figures).
    """

    bench: str
    name: str
    value: float | None
    unit: str
    runs: int = 0
    baseline: float | None = None
    baseline_name: str = ""
    target_max: float | None = None
    target_ratio: float | None = None
    note: str = ""
    samples: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def target(self) -> str:
        if self.target_ratio is not None:
            return f"≤ {self.target_ratio:g}× {self.baseline_name or 'baseline'}"
        if self.target_max is not None:
            return f"≤ {_num(self.target_max)} {self.unit}"
        return ""

    @property
    def ok(self) -> bool | None:
        if self.value is None:
            return False if (self.target_max is not None or self.target_ratio is not None) else None
        if self.target_ratio is not None:
            ratio = self.ratio
            return None if ratio is None else ratio <= self.target_ratio
        if self.target_max is not None:
            return self.value <= self.target_max
        return None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(ratio=self.ratio, target=self.target, ok=self.ok)
        return data


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    magnitude = abs(value)
    if magnitude >= 100 or value == int(value):
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _verdict(ok: bool | None) -> str:
    return "" if ok is None else ("✅ met" if ok else "❌ missed")


def format_table(figures: Sequence[Figure]) -> str:
    """A Markdown table (reads well in a terminal too)."""
    header = ("benchmark", "figure", "value", "baseline", "ratio", "target", "result", "runs")
    rows = [header, tuple("---" for _ in header)]
    for fig in figures:
        base = f"{_num(fig.baseline)} ({fig.baseline_name})" if fig.baseline is not None else ""
        ratio = f"{fig.ratio:.2f}×" if fig.ratio is not None else ""
        value = f"{_num(fig.value)} {fig.unit}" if fig.value is not None else "not measured"
        rows.append((fig.bench, fig.name, value, base, ratio, fig.target, _verdict(fig.ok), str(fig.runs)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |" for row in rows]
    notes = [f"- {fig.bench} / {fig.name}: {fig.note}" for fig in figures if fig.note]
    return "\n".join([*lines, "", *notes] if notes else lines)


def results_payload(
    figures: Sequence[Figure], machine: Mapping[str, Any], options: Mapping[str, Any]
) -> dict[str, Any]:
    """What ``latest.json`` holds."""
    return {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": dict(machine),
        "options": dict(options),
        "figures": [fig.as_json() for fig in figures],
        "table": format_table(figures),
    }


def write_json(path: Path, payload: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------- machine
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return ""


def _qt_versions() -> dict[str, str]:
    """Asked of a child so the parent never loads Qt."""
    code = "import PySide6, PySide6.QtCore as c; print(PySide6.__version__, c.qVersion())"
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
        pyside, qt = out.stdout.split()
        return {"pyside6": pyside, "qt": qt}
    except (subprocess.SubprocessError, ValueError, OSError):
        return {"pyside6": "?", "qt": "?"}


def machine_info() -> dict[str, Any]:
    import sqlite3

    uname = platform.uname()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "os": f"{uname.system} {uname.release} ({platform.freedesktop_os_release().get('PRETTY_NAME', '')})"
        if hasattr(platform, "freedesktop_os_release") and Path("/etc/os-release").exists()
        else f"{uname.system} {uname.release}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        **_qt_versions(),
        "load_avg_at_start": _load(),
    }


# --------------------------------------------------------------------------------------- processes
def proc_status_kib(pid: int | str = "self") -> dict[str, int]:
    """VmHWM / VmRSS / VmPeak of a process in KiB (empty when it is gone)."""
    out: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS", "VmPeak"):
                out[key] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return out


def _children(pid: int | str) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found.extend(int(child) for child in text)
    except OSError:
        pass
    return found


def tree_peak_kib(pid: int | str = "self") -> tuple[int, int]:
    """(sum of VmHWM over the process and its descendants, number of descendants)."""
    total, count, todo = proc_status_kib(pid).get("VmHWM", 0), 0, _children(pid)
    seen: set[int] = set()
    while todo and len(seen) < 256:
        child = todo.pop()
        if child in seen:
            continue
        seen.add(child)
        count += 1
        total += proc_status_kib(child).get("VmHWM", 0)
        todo.extend(_children(child))
    return total, count


def child_env(home: Path | None = None) -> dict[str, str]:
    """Offscreen Qt, Chromium's sandbox off when root, no GPU, and an isolated HOME/XDG tree."""
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    env.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--disable-gpu --disable-background-networking")
    env.setdefault("QT_LOGGING_RULES", "qt.webenginecontext.debug=false")
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env.pop(proxy, None)  # loopback only
    if home is not None:
        for sub, var in (
            (".config", "XDG_CONFIG_HOME"),
            (".local/share", "XDG_DATA_HOME"),
            (".local/state", "XDG_STATE_HOME"),
            (".cache", "XDG_CACHE_HOME"),
        ):
            (home / sub).mkdir(parents=True, exist_ok=True)
            env[var] = str(home / sub)
        env["HOME"] = str(home)
    return env


class ChildError(RuntimeError):
    """A benchmark child failed, timed out or printed no result."""


def emit(record: Mapping[str, Any]) -> None:
    """Print one result line for the parent (children only)."""
    sys.stdout.write(BENCH_PREFIX + json.dumps(record, default=str) + "\n")
    sys.stdout.flush()


def run_child(
    module: str, args: Sequence[str] = (), *, timeout: float, t0_arg: bool = False, verbose: bool = False
) -> list[dict[str, Any]]:
    """Run ``python -m module args`` in its own session; the ``BENCH`` lines it printed, parsed.

    With ``t0_arg`` the child gets ``--t0-ns <time.monotonic_ns()>`` taken right before ``Popen``
    (CLOCK_MONOTONIC is system-wide on Linux, so the child can subtract it). The child is always
    ended: on timeout or any error its whole process group is killed.
    """
    with tempfile.TemporaryDirectory(prefix="pd-bench-home-") as home:
        env = child_env(Path(home))
        argv = [sys.executable, "-m", module, *args]
        if t0_arg:
            argv += ["--t0-ns", ""]
        stderr_path = Path(home) / "stderr.txt"
        with open(stderr_path, "w+b") as stderr:
            if t0_arg:
                argv[-1] = str(time.monotonic_ns())
            proc = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr, start_new_session=True
            )
            try:
                out, _ = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired as exc:
                raise ChildError(f"{module} {' '.join(args)} timed out after {timeout:.0f} s") from exc
            finally:
                if proc.poll() is None:
                    _kill_group(proc)
            stderr.seek(0)
            err_tail = stderr.read().decode("utf-8", "replace")[-3000:]
        records = [
            json.loads(line[len(BENCH_PREFIX) :])
            for line in out.decode("utf-8", "replace").splitlines()
            if line.startswith(BENCH_PREFIX)
        ]
        if verbose and err_tail.strip():
            sys.stderr.write(err_tail)
        if records and proc.returncode != 0:
            print(
                f"warning: {module} exited {proc.returncode} after {len(records)} result(s):\n{err_tail[-1500:]}",
                file=sys.stderr,
            )
        if not records:
            raise ChildError(f"{module} {' '.join(args)} exited {proc.returncode} without a result:\n{err_tail}")
        return records


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired, PermissionError):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
