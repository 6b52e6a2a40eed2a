"""Timing helpers and the table printer. Every figure is a median of repeats; ratios compare a measurement
with its baseline taken in the same run, so the noise of a shared machine mostly cancels out."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence

REPEATS = 3


def percentile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def timed(fn: Callable[[], object], n: int) -> list[float]:
    """Call ``fn`` n times; the durations in milliseconds."""
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def ratio(a: float, b: float) -> float | None:
    """a / b, or None (JSON null) when there is no baseline to compare with."""
    return round(a / b, 3) if b else None


def r(value: float, digits: int = 2) -> float:
    return round(value, digits)


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(c) for c in header]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        f"\n{title}",
        "  ".join(h.ljust(w) for h, w in zip(cells[0], widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    lines += [
        "  ".join(c.rjust(w) if _numeric(c) else c.ljust(w) for c, w in zip(row, widths, strict=True))
        for row in cells[1:]
    ]
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _numeric(text: str) -> bool:
    return text.replace(",", "").replace(".", "").replace("-", "").isdigit()


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"
