"""``python -m bench.compare LABEL=DIR[,DIR...] LABEL=DIR[,DIR...] ...``

Ratio table of transitions results (each DIR holding a ``transitions.json``): for each
workload and concurrency, every gateway method ÷ the C client, one column per label. Each
round's gateway rate is divided by the C client's rate of the same round (the methods
alternate within a round, so drifting load hits both), and the figure is the median of
those ratios over the rounds of every DIR given to the label: two runs of one
configuration, alternated with another's, count as one configuration measured twice.
Used for docs/bench/README.md's before/after table (issue 11).
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

GATEWAY_METHODS = {"gateway (HTTP keep-alive)": "aiohttp", "gateway driven by wrk (C)": "wrk"}
SLAP = "C client (mariadb-slap)"


def pooled(dirs: list[Path]) -> dict[tuple[str, int, str], list[float]]:
    """(workload, clients, method) -> rates, and (..., method + " ratio") -> per-round ratios."""
    rates: dict[tuple[str, int, str], list[float]] = {}
    for d in dirs:
        data = json.loads((d / "transitions.json").read_text())
        by_key = {(e["workload"], e["clients"], e["method"]): e["rates"] for e in data["data"]["results"]}
        for (w, c, m), rs in by_key.items():
            rates.setdefault((w, c, m), []).extend(rs)
            if m != SLAP:
                rates.setdefault((w, c, m + " ratio"), []).extend(
                    x / y for x, y in zip(rs, by_key[(w, c, SLAP)], strict=True))
    return rates


def table(configs: dict[str, list[Path]]) -> str:
    runs = {label: pooled(dirs) for label, dirs in configs.items()}
    keys = sorted({(w, c) for r in runs.values() for (w, c, _) in r}, key=lambda k: (k[0] != "heartbeat", k[1]))
    labels = list(configs)
    head = ["workload", "clients"] + [f"C client/s: {lb}" for lb in labels]
    for short in GATEWAY_METHODS.values():
        head += [f"{short} ÷ C: {lb}" for lb in labels]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for w, c in keys:
        cells = [w, str(c)]
        c_rate = {lb: statistics.median(runs[lb].get((w, c, SLAP), [float("nan")])) for lb in labels}
        cells += [f"{c_rate[lb]:,.0f}" for lb in labels]
        for method in GATEWAY_METHODS:
            for lb in labels:
                rs = runs[lb].get((w, c, method))
                ratios = runs[lb].get((w, c, method + " ratio"))
                cells.append(f"{statistics.median(ratios):.2f} ({statistics.median(rs):,.0f}/s, "
                             f"n={len(rs)})" if rs and ratios else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    configs: dict[str, list[Path]] = {}
    for arg in argv:
        label, _, dirs = arg.partition("=")
        if not dirs:
            print(__doc__, file=sys.stderr)
            return 2
        configs[label] = [Path(d) for d in dirs.split(",")]
    if not configs:
        print(__doc__, file=sys.stderr)
        return 2
    print(table(configs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
