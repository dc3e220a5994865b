"""gunicorn settings of the image, docker compose and the benchmark
(``gunicorn -c python:opticrm.gunicorn_conf opticrm.wsgi:application``).

Python's cycle collector walks every object of a generation; a full pass
over a worker's ~150,000 long-lived objects (Django, the app, compiled
templates) took 140 ms on the benchmark machine, once every hundred or so
requests: a stall that lands on whoever waits behind it (issue 8). Objects
that live as long as the process are therefore moved out of its reach
(``gc.freeze``): the app's modules in the master before the fork (which also
keeps those pages shared between workers), and what a worker builds while
serving its first requests (templates, URL patterns, catalogues) once it
has warmed up. Garbage is collected as before.
"""

import gc
import re

from gunicorn.glogging import Logger

# Import the app in the master: workers start faster and share its pages.
preload_app = True

# Requests after which a worker's lasting objects are frozen.
FREEZE_AFTER = 50


def when_ready(server):
    gc.collect()
    gc.freeze()


def post_worker_init(worker):
    # The worker's first database connection, before any request: the pooler
    # guard (opticrm.checks.guard_connection) looks at it, so that even the
    # first query of the first request knows whether server-side cursors are
    # safe. A database that is not up yet is the first request's business.
    from django.db import DatabaseError, connection

    try:
        connection.ensure_connection()
    except DatabaseError:
        pass
    finally:
        connection.close()


def post_request(worker, req, environ, resp):
    # worker.nr counts the requests this worker has served.
    if worker.nr == FREEZE_AFTER:
        gc.collect()
        gc.freeze()


class AccessLogger(Logger):
    """A staff member's calendar feed is read by its secret address
    (/appointments/feed/<token>.ics): the token stays out of the access log,
    where anyone who reads the logs could subscribe to the calendar."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: FEED_TOKEN.sub(r"\1…\2", value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }


FEED_TOKEN = re.compile(r"(/appointments/feed/)[^/?#\s]+(\.ics)")
logger_class = AccessLogger
