"""Background work of documents, run by `manage.py db_worker`."""

from django_tasks import task


@task()
def make_thumbnail(*, document_id: int) -> bool:
    """A large PDF's first page as its thumbnail (documents.services.
    thumbnail_make): drawing a big scan is too slow for the upload's answer."""
    from documents.services import thumbnail_make

    return thumbnail_make(document_id=document_id)
