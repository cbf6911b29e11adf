"""A progress bar for a person at a terminal while a cycle runs: the desk's name and the cycle's stage."""

from __future__ import annotations

import contextlib
import os
from contextlib import AbstractContextManager

from sync.engine import CYCLE_STAGES

__all__ = ["spinner", "CycleProgress"]


def spinner(name: str, enabled: bool) -> AbstractContextManager[object]:
    """A progress bar naming the desk and the cycle's stage while it runs — only on a terminal (never in logs
    or CI). Entered, it is the ``progress`` callback of ``Desk.cycle`` (or None where nothing is shown)."""
    if not enabled or os.environ.get("CI"):
        return contextlib.nullcontext()
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal or console.is_dumb_terminal:
        return contextlib.nullcontext()
    return CycleProgress(name, console)


class CycleProgress:
    """A transient rich progress bar over ``CYCLE_STAGES``; calling it moves to a stage."""

    def __init__(self, name: str, console: object) -> None:
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.name = name
        self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                            console=console, transient=True)
        self.task = self.bar.add_task(f"{name}: starting", total=len(CYCLE_STAGES))

    def __enter__(self) -> CycleProgress:
        self.bar.start()
        return self

    def __exit__(self, *exception: object) -> None:
        self.bar.stop()

    def __call__(self, stage: str) -> None:
        self.update(stage)

    def update(self, stage: str) -> None:
        self.bar.update(self.task, description=f"{self.name}: {stage}…", completed=CYCLE_STAGES.index(stage))
