"""Where files about customers lie (documents, customer photos):
STORAGES["documents"], local files or an S3-compatible bucket as the
settings decide. Never served from a URL of its own: only through views
that check who asks (``private_file_response``)."""

import logging
from collections.abc import Sequence

from django.core.files.storage import Storage, storages
from django.http import FileResponse, Http404

# Never run as a page of the app's origin: no script, no form, no plugin;
# an image still shows in the browser's own viewer.
IMAGE_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"


logger = logging.getLogger(__name__)


def document_storage() -> Storage:
    return storages["documents"]


def delete_files(names: Sequence[str]) -> None:
    """Delete these files of the private storage, each on its own: one
    that cannot be deleted is logged, the others still go (and the storage
    being down never hides the error that made a caller clean up)."""
    storage = document_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            logger.exception("Could not delete the stored file %s", name)


def private_file_response(name: str, *, filename: str, content_type: str) -> FileResponse:
    """An image from the private storage, shown inline: nosniff, never kept
    by a shared cache, sandboxed if opened on its own. 404 when the file is
    gone (e.g. erased meanwhile)."""
    try:
        handle = document_storage().open(name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type, filename=filename)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = IMAGE_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
