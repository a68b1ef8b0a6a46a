"""Loaded with `-p finops.pytest_env` (pyproject addopts) before pytest-django sets Django up.

Test settings come from the environment like every other setting, so they must be in place
before Django reads them.
"""

import os

os.environ.setdefault("FINOPS_TESTING", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Each xdist worker gets its own Redis database, so Celery workers started by one test
# process never take tasks sent by another.
_XDIST_INDEX = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
os.environ.setdefault("REDIS_URL", f"redis://127.0.0.1:6379/{1 + _XDIST_INDEX}")
