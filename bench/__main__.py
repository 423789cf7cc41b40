"""``python -m bench [--mode full|short|smoke] [--out DIR] [BENCHMARK ...]``

Runs the benchmarks (all by default, in the issue's order of independence from the
gateway), prints each one's tables and writes Markdown + JSON (+ PNG) under ``--out``.
``make bench`` is the full mode, ``make bench-short`` the short one; ``smoke`` is the
seconds-long mode the CI smoke test uses (harness correctness, not timing).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from pathlib import Path

from bench.common import DEFAULT_OUT, MODES, log
from bench.summary import write_summary

# name -> module; the order they run in.
BENCHMARKS = {
    "sweep": "bench.sweep",
    "import": "bench.importing",
    "transitions": "bench.transitions",
    "events": "bench.events",
    "fanout": "bench.fanout",
    "routing": "bench.routing",
    "reports": "bench.reports",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=MODES, default="short")
    parser.add_argument("--out", type=Path, default=None,
                        help="where results go (default docs/bench in full mode, docs/bench/MODE otherwise)")
    parser.add_argument("benchmarks", nargs="*", choices=[*BENCHMARKS, []], metavar="BENCHMARK",
                        help=f"any of {', '.join(BENCHMARKS)} (default: all)")
    args = parser.parse_args(argv)
    names = args.benchmarks or list(BENCHMARKS)
    if args.out is None:
        args.out = DEFAULT_OUT if args.mode == "full" else DEFAULT_OUT / args.mode
    failed: list[str] = []
    for name in names:
        log(f"=== {name} ({args.mode}) ===")
        start = time.monotonic()
        try:
            module = importlib.import_module(BENCHMARKS[name])
            report = module.run(args.mode, args.out)
        except Exception:
            traceback.print_exc()
            failed.append(name)
            continue
        report.print()
        path = report.write(args.out)
        log(f"{name}: wrote {path} in {time.monotonic() - start:.0f} s")
    summary = write_summary(args.out)
    if summary is not None:
        log(f"targets of every result in {args.out}: {summary}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
