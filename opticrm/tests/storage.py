"""The private storage (STORAGES["documents"]: customer documents and
photos) in a test's own folder, for the apps' tests that write to it."""

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
