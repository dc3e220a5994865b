"""Test settings: the real settings with fast hashing and no HTTPS redirect."""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault(
    "SECRET_KEY", "test-only-secret-key-that-is-long-enough-for-checks-0123456789"
)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from opticrm.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

# Lets two test runs share one server without dropping each other's database.
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}  # noqa: F405

# Serve static files from the source folders; tests never run collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Every page reads the live-update counters afresh, so that query counts do
# not depend on how fast the previous request ran (live/tests set it back).
LIVE_COUNTER_MAX_AGE = 0
