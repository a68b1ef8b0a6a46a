"""Loaded with `-p finops.pytest_env` (pyproject addopts) before pytest-django sets Django up.

Test settings come from the environment like every other setting, so they must be in place
before Django reads them.
"""

import os
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("FINOPS_TESTING", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Each test process gets a Redis database of its own next to the one REDIS_URL names (db n:
# the controller and gw0 use n+1, gw1 n+2, ...), so Celery workers started by one test process
# never take tasks sent by another. xdist workers inherit the controller's environment, so
# the base URL is kept aside the first time and every process derives its own from it.
_XDIST_INDEX = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
_BASE = os.environ.setdefault("FINOPS_TEST_REDIS_BASE", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
_PARTS = urlsplit(_BASE)
_BASE_DB = int(_PARTS.path.strip("/") or 0)
os.environ["REDIS_URL"] = urlunsplit(_PARTS._replace(path=f"/{_BASE_DB + 1 + _XDIST_INDEX}"))
