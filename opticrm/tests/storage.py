"""The private storage (STORAGES["documents"]: customer documents and
photos) in a test's own folder, for the apps' tests that write to it."""

import uuid
from collections.abc import Callable
from pathlib import Path


def local_private_storage(settings, tmp_path: Path) -> Callable[[], list[str]]:
    """Point the private storage at ``tmp_path``; returns a function listing
    the files it holds (to show that nothing is left behind)."""
    location = tmp_path / "documents"
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location, "base_url": "/no-public-url/"},
        },
    }

    def names() -> list[str]:
        if not location.exists():
            return []
        return sorted(str(p.relative_to(location)) for p in location.rglob("*") if p.is_file())

    return names


def s3_private_storage(settings, endpoint: str) -> Callable[[], list[str]]:
    """Point the private storage at a new bucket on the S3-compatible server
    at ``endpoint`` (moto on loopback), as DOCUMENTS_S3_BUCKET makes it;
    returns a function listing the files it holds, by their storage names."""
    import boto3

    bucket = f"private-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="eu-central-1",
    )
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
        return sorted(item["Key"].removeprefix("documents/") for item in listed.get("Contents", []))

    return names
