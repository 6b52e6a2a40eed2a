"""What the benchmarks share: the scale, the reference ids, the figures collected so far, the printed tables."""

from __future__ import annotations

from dataclasses import dataclass, field

from .datagen import Refs
from .env import Scale


@dataclass
class Context:
    scale: Scale
    refs: Refs
    figures: dict = field(default_factory=dict)
    targets: dict = field(default_factory=dict)  # target name -> met?
    notes: list[str] = field(default_factory=list)
    b2: dict = field(default_factory=dict)  # per-stage measurements, summarised at the end

    def emit(self, text: str) -> None:
        print(text, flush=True)
