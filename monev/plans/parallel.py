"""Reading many plan files on every core: each file is parsed in a worker process
while the caller writes the ones already read (``monev plan import`` of a province
or the whole country). Results come back in the files' order."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from monev.errors import MonevError
from monev.grammar import RangePolicy
from monev.model import Plan
from monev.plans.loader import load_plan
from monev.plans.source import content_sha256, read_bytes

POOL_FROM = 8  # fewer files are read in this process (a pool costs more than it saves)


@dataclass
class Parsed:
    """One file: its plan and content hash, or why it could not be read."""

    path: Path
    plan: Plan | None
    sha256: str
    error: str | None = None


def read_one(path: Path, policy: RangePolicy | None) -> Parsed:
    try:
        plan = load_plan(path, policy)
        return Parsed(path, plan, content_sha256(read_bytes(path)))
    except MonevError as exc:
        return Parsed(path, None, "", str(exc))


def _read(args: tuple[Path, RangePolicy | None]) -> Parsed:
    return read_one(*args)


def read_all(paths: Sequence[Path], policy: RangePolicy | None,
             workers: int | None = None) -> Iterator[Parsed]:
    """Every file parsed, in order; in a pool of worker processes when there are many."""
    workers = workers or min(os.cpu_count() or 1, 8)
    jobs = [(p, policy) for p in paths]
    if len(paths) < POOL_FROM or workers < 2:
        yield from map(_read, jobs)
        return
    context = multiprocessing.get_context("fork")  # the workers share what is imported
    pool = ProcessPoolExecutor(workers, mp_context=context)
    try:
        yield from pool.map(_read, jobs, chunksize=4)
    finally:  # a caller that stops early (a refused file) does not wait for the rest
        pool.shutdown(wait=True, cancel_futures=True)
