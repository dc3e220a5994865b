"""Where customer documents lie: STORAGES["documents"] (local files or an
S3-compatible bucket, settings decide). Never served from its own URL."""

from django.core.files.storage import Storage, storages


def document_storage() -> Storage:
    return storages["documents"]
