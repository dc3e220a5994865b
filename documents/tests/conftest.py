"""The documents' storage for tests: a folder of the test's own, or a
bucket on a local S3-compatible server (moto's server mode on loopback)."""

import pytest

from opticrm.tests.storage import local_private_storage, s3_private_storage


@pytest.fixture(scope="session")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


_fs = local_private_storage


_s3 = s3_private_storage


@pytest.fixture(autouse=True)
def stored(settings, tmp_path):
    """Every documents test stores into a folder of its own; returns a
    function listing what the storage holds."""
    return _fs(settings, tmp_path)


@pytest.fixture(params=["fs", "s3"])
def any_storage(request, settings, tmp_path):
    """The same test against the file system and against an S3 bucket."""
    if request.param == "fs":
        return _fs(settings, tmp_path)
    return _s3(settings, request.getfixturevalue("s3_server"))
