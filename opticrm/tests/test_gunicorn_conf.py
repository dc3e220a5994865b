"""The gunicorn settings freeze long-lived objects once, after warm-up."""

import gc
from types import SimpleNamespace

import pytest

from opticrm import gunicorn_conf


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_worker_freezes_its_objects_once_warmed_up(unfrozen):
    worker = SimpleNamespace(nr=gunicorn_conf.FREEZE_AFTER - 1)
    gunicorn_conf.post_request(worker, None, {}, None)
    assert gc.get_freeze_count() == 0
    worker.nr += 1
    gunicorn_conf.post_request(worker, None, {}, None)
    frozen = gc.get_freeze_count()
    assert frozen > 1000
    worker.nr += 1
    later = [[] for _ in range(2000)]  # what freezing again would take along
    gunicorn_conf.post_request(worker, None, {}, None)
    # Not frozen again. (Not "== frozen": a frozen object that loses its
    # last reference is still freed, and CI saw one go in between.)
    assert gc.get_freeze_count() <= frozen
    assert len(later) == 2000


def test_the_master_freezes_the_loaded_app(unfrozen):
    gunicorn_conf.when_ready(server=None)
    assert gc.get_freeze_count() > 1000
