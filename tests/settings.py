"""Settings for the test suite: production settings with a test key and fast hashing."""

import os

os.environ.setdefault("SECRET_KEY", "test-suite-key-not-secret")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from forum.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

if "sqlite" in DATABASES["default"]["ENGINE"]:  # noqa: F405
    # A file, not memory, so that a real server process can share the test database.
    # One file per run, so that concurrent runs do not share it.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(BASE_DIR / "var" / f"test-db-{os.getpid()}.sqlite3")  # noqa: F405
    }

# Tests send digests in-process (children would not see the test database);
# tests/forum/test_digests.py checks how a run is split over processes.
DIGEST_PROCESSES = 1

# Tasks run in the test process as soon as the write that queued them commits.
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
