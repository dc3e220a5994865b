"""The jobs that run on a clock (`manage.py schedule`): each app registers
its own in its AppConfig's ``ready``, and each job decides itself whether it
is due (the monthly retention review looks whether this month has one), so
the scheduler only calls them all once a tick. Several schedulers at once
are safe as long as each job is (they lock or claim their work)."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    # Does what is due and returns a line for the log, or "" when nothing was.
    run: Callable[[], str]


_JOBS: dict[str, Job] = {}


def register(job: Job) -> None:
    """Idempotent: ``ready`` may run more than once."""
    _JOBS[job.name] = job


def jobs() -> list[Job]:
    return list(_JOBS.values())


def run_due(*, only: str = "") -> list[str]:
    """One tick: every job (or the one named ``only``); one that fails is
    logged and the others run."""
    done = []
    for job in jobs():
        if only and job.name != only:
            continue
        try:
            line = job.run()
        except Exception:
            logger.exception("Scheduled job %s failed", job.name)
            continue
        if line:
            done.append(f"{job.name}: {line}")
    return done


def add_every_argument(parser) -> None:
    parser.add_argument(
        "--every",
        type=int,
        default=0,
        metavar="SECONDS",
        help="Keep running, once every SECONDS (0: once, then exit).",
    )


def loop(tick: Callable[[], list[str]], *, every: int, write: Callable[[str], None]) -> None:
    """A command's run: ``tick`` once, or once every ``every`` seconds for
    good; each line it reports is written."""
    while True:
        for line in tick():
            write(line)
        if every <= 0:
            return
        close_old_connections()
        time.sleep(every)
