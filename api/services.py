"""API keys: created, looked up and revoked only here (admin, command and
the API's authentication call these)."""

import datetime
import hashlib
import secrets
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiKey
from opticrm.lib import health_data

KEY_PREFIX = "ocrm_"
# last_used_at is written at most this often, not on every request.
USE_RESOLUTION = datetime.timedelta(minutes=1)


def _hash(raw: str) -> str:
    # The key is 256 random bits: a plain SHA-256 cannot be brute-forced, and
    # unlike a password hash it lets every request find its key by index.
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *, name: str, read_only: bool = False, health_data: bool = False, user=None
) -> tuple[ApiKey, str]:
    """The new key and its secret, which is not stored and cannot be shown again.
    A key that may read health data is created only by someone who may
    (``user`` None: an operator's command)."""
    if health_data and user is not None and not may_read_health_data(user):
        raise ValidationError(
            {"health_data": _("Only users who may see prescriptions can grant this.")}
        )
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name.strip(),
        read_only=read_only,
        health_data=health_data,
        created_by=user,
        prefix=raw[: len(KEY_PREFIX) + 6],
        key_hash=_hash(raw),
    )
    key.full_clean()
    key.save()
    return key, raw


@transaction.atomic
def api_key_revoke(*, key_id: int) -> ApiKey:
    key = ApiKey.objects.select_for_update(no_key=True).get(pk=key_id)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def may_read_health_data(user) -> bool:
    """Whether ``user`` may grant an API key health data (see opticrm.lib.health_data)."""
    return health_data.may_grant_to_api_keys(user)


# Verified keys, per process: hash -> (when verified, the key). A key is
# looked up again after API_KEY_CACHE_SECONDS, so a revocation or a change
# made in another process (the admin's, another worker's) takes effect
# within those seconds; in this process at once (forget_verified_keys).
clock = time.monotonic
_verified: dict[str, tuple[float, ApiKey]] = {}


def forget_verified_keys(**_signal) -> None:
    """Look every key up again (a key was saved, revoked or deleted)."""
    _verified.clear()


def api_key_for(raw: str) -> ApiKey | None:
    """The active key with this secret, or None; notes when it was used."""
    if not raw or not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        return None
    digest = _hash(raw)
    now = clock()
    verified_at, key = _verified.get(digest, (None, None))
    if verified_at is None or not 0 <= now - verified_at < settings.API_KEY_CACHE_SECONDS:
        key = ApiKey.objects.filter(key_hash=digest, revoked_at__isnull=True).first()
        if key is None:
            _verified.pop(digest, None)
            return None
        if len(_verified) >= 1024:
            _verified.clear()  # bounded: keys are few, wrong ones are never kept
        _verified[digest] = (now, key)
    used = timezone.now()
    if key.last_used_at is None or used - key.last_used_at > USE_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=used)
        key.last_used_at = used
    return key
