"""Where customer documents lie: STORAGES["documents"] (local files or an
S3-compatible bucket, settings decide). Never served from its own URL."""

from opticrm.lib.storage import document_storage  # noqa: F401 (shared with customer photos)
