"""The jobs that run on a clock (`manage.py schedule`): each app registers
its own in its AppConfig's ``ready``, and each job decides itself whether it
is due (the monthly retention review looks whether this month has one), so
the scheduler only calls them all once a tick. Several schedulers at once
are safe as long as each job is (they lock or claim their work)."""

import logging
from collections.abc import Callable
from dataclasses import dataclass

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


def run_due() -> list[str]:
    """One tick: every job; one that fails is logged and the others run."""
    done = []
    for job in jobs():
        try:
            line = job.run()
        except Exception:
            logger.exception("Scheduled job %s failed", job.name)
            continue
        if line:
            done.append(f"{job.name}: {line}")
    return done
