"""Markdown for docs/benchmarks.md from result files: ``python -m bench.report [LABEL=]RUN.json …``.

Prints the machine, then one row per figure (a column per run) and one per target."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render(args: list[str]) -> str:
    pairs = [a.split("=", 1) if "=" in a else (Path(a).stem, a) for a in args]
    runs = [json.loads(Path(path).read_text()) for _, path in pairs]
    names = [label for label, _ in pairs]
    m = runs[-1]["machine"]
    lines = [f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['mem_gb']} GB RAM, Python {m['python']}.", ""]
    lines += ["| figure | " + " | ".join(names) + " |", "|---|" + "---:|" * len(runs)]
    keys = list(dict.fromkeys(k for run in runs for k in run["figures"]))
    lines += [f"| `{k}` | " + " | ".join(_cell(run["figures"].get(k)) for run in runs) + " |" for k in keys]
    lines += ["", "| target | " + " | ".join(names) + " |", "|---|" + "---|" * len(runs)]
    targets = list(dict.fromkeys(t for run in runs for t in run["targets"]))
    lines += [
        f"| {t} | "
        + " | ".join({True: "met", False: "**missed**", None: "–"}[run["targets"].get(t)] for run in runs)
        + " |"
        for t in targets
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(sys.argv[1:]))
