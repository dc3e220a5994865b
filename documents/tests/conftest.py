"""The documents' storage for tests: a folder of the test's own, or a
bucket on a local S3-compatible server (moto's server mode on loopback)."""

import uuid

import pytest

from opticrm.tests.storage import local_private_storage


@pytest.fixture(scope="session")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


_fs = local_private_storage


def _s3(settings, endpoint: str):
    import boto3

    bucket = f"docs-{uuid.uuid4().hex[:12]}"
    options = {
        "endpoint_url": endpoint,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "region_name": "eu-central-1",
    }
    client = boto3.client("s3", **options)
    client.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": endpoint,
                "access_key": "testing",
                "secret_key": "testing",
                "region_name": "eu-central-1",
                "location": "documents",
                "addressing_style": "path",
                "signature_version": "s3v4",
                "default_acl": None,
                "file_overwrite": False,
            },
        },
    }

    def names() -> list[str]:
        listed = client.list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    return names


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
