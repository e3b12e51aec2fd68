"""``python -m benchmarks [--quick] [--only NAME[,NAME]] [--rows N] [--runs N] [--verbose]`` (``make bench``).

Runs each benchmark in fresh child processes, prints one table (Markdown) with every figure next to
its baseline and target, and writes it as JSON to ``benchmarks/results/latest.json``
(``latest-quick.json`` with ``--quick``). Benchmarks: commit, submit, startup, history, history-pg
(the team journal on PostgreSQL), polling, package (the size of what ``make package`` built), agent-webhook
(the team agent: webhook received → status stored), agent-send (payout-desk-agent's sends per second, 1 and 2
agents), team-feed (one desk's commit → another desk told, 1 and 20 listening desks), team-webhook-desk
(webhook received → a desk told of the new status).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import (
    agent_send,
    agent_webhook,
    history,
    history_pg,
    journal_commit,
    package_size,
    polling,
    startup,
    submit_to_checkin,
    team_feed,
    team_webhook_desk,
)
from benchmarks.harness import RESULTS_DIR, Figure, Options, format_table, machine_info, results_payload, write_json

BENCHMARKS: dict[str, Callable[[Options], list[Figure]]] = {
    "commit": journal_commit.run,
    "submit": submit_to_checkin.run,
    "startup": startup.run,
    "history": history.run,
    "history-pg": history_pg.run,
    "polling": polling.run,
    "package": package_size.run,
    "agent-webhook": agent_webhook.run,
    "agent-send": agent_send.run,
    "team-feed": team_feed.run,
    "team-webhook-desk": team_webhook_desk.run,
}


def parse_args(argv: list[str] | None) -> tuple[Options, list[str], Path | None]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, fewer runs: a fast check (~3 min)")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"run only these ({', '.join(BENCHMARKS)}); repeat or comma-separate",
    )
    parser.add_argument("--rows", type=int, help="payouts in the big journal (default 1,000,000; quick 20,000)")
    parser.add_argument("--runs", type=int, help="runs per figure (default 5; quick 2)")
    parser.add_argument("--json", type=Path, help="where to write the JSON (default benchmarks/results/latest.json)")
    parser.add_argument("--verbose", action="store_true", help="show the children's stderr")
    args = parser.parse_args(argv)
    names = [n.strip() for chunk in args.only for n in chunk.split(",") if n.strip()] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    opts = Options(
        quick=args.quick,
        rows=args.rows or (20_000 if args.quick else 1_000_000),
        runs=max(1, args.runs or (2 if args.quick else 5)),
        verbose=args.verbose,
    )
    return opts, names, args.json


def main(argv: list[str] | None = None) -> int:
    opts, names, json_path = parse_args(argv)
    machine = machine_info()
    print(
        f"Payout Desk benchmarks ({'quick' if opts.quick else 'full'}: {opts.rows:,} rows, {opts.runs} runs) on "
        f"{machine['cpu']}, {machine['cores']} cores, {machine['ram_gib']} GiB, load {machine['load_avg_at_start']}",
        file=sys.stderr,
    )
    figures: list[Figure] = []
    timings: dict[str, float] = {}
    for name in names:
        began = time.perf_counter()
        print(f"== {name} …", file=sys.stderr, flush=True)
        try:
            figures.extend(BENCHMARKS[name](opts))
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            print(f"benchmark {name} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            figures.append(Figure(name, "benchmark failed", None, "", note=f"{type(exc).__name__}: {exc}"))
        timings[name] = round(time.perf_counter() - began, 1)
        print(f"   {name} took {timings[name]:.0f} s", file=sys.stderr, flush=True)
    machine["load_avg_at_end"] = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else ""
    table = format_table(figures)
    print(table)
    target = json_path or RESULTS_DIR / ("latest-quick.json" if opts.quick else "latest.json")
    write_json(target, {**results_payload(figures, machine, opts.as_json()), "seconds": timings})
    print(f"\nwritten to {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
