"""Loaded with `-p finops.pytest_env` (pyproject addopts) before pytest-django sets Django up.

Test settings come from the environment like every other setting, so they must be in place
before Django reads them.
"""

import os

os.environ.setdefault("FINOPS_TESTING", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Each xdist worker gets its own Redis database, so Celery workers started by one test
# process never take tasks sent by another.
# xdist workers inherit the controller's environment, so a URL we chose there is chosen
# again here (marked by FINOPS_TEST_REDIS_AUTO); a REDIS_URL given by the user is kept.
_XDIST_INDEX = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
if "REDIS_URL" not in os.environ or os.environ.get("FINOPS_TEST_REDIS_AUTO") == "1":
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:6379/{1 + _XDIST_INDEX}"
    os.environ["FINOPS_TEST_REDIS_AUTO"] = "1"
