"""Gunicorn settings for the web service (ECS Fargate behind an ALB).

`gunicorn finops.wsgi:application --config deploy/gunicorn.conf.py`. Everything tunable
comes from the environment so one image serves every environment.
"""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# The task definition sets GUNICORN_WORKERS from deploy/infra/config.py; WEB_CONCURRENCY
# is the conventional fallback name.
workers = _int("GUNICORN_WORKERS", _int("WEB_CONCURRENCY", 2))
threads = _int("GUNICORN_THREADS", 1)
# A request still running after this is killed; the ALB's idle timeout is 60 s.
timeout = _int("GUNICORN_TIMEOUT", 60)
# ECS sends SIGTERM then SIGKILL 30 s later (default stopTimeout): finish requests first.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 25)
# Longer than the ALB idle timeout, so the ALB always closes idle keep-alive connections
# first; the other way round it can reuse a closed socket and answer 502.
keepalive = _int("GUNICORN_KEEPALIVE", 75)
# Recycle workers now and then, so a slow leak cannot grow without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# Heartbeat files on tmpfs: the container's overlay disk can stall under load.
# Not a temp file in the S108 sense: gunicorn creates private, unlinked files there.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# Only the ALB can reach the tasks (security group), so trust its X-Forwarded-* headers.
forwarded_allow_ips = "*"

# Logs go to stdout/stderr, which the awslogs driver ships to CloudWatch.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# JSON-ish: one object per line so CloudWatch Logs Insights can parse fields; values are
# not escaped by gunicorn, so a quote inside a user agent can break a line's JSON.
access_log_format = (
    '{"type":"access","time":"%(t)s","remote_ip":"%({x-forwarded-for}i)s",'
    '"method":"%(m)s","host":"%({host}i)s","path":"%(U)s","query":"%(q)s",'
    '"status":%(s)s,"bytes":"%(B)s","duration_ms":%(M)s,'
    '"trace_id":"%({x-amzn-trace-id}i)s","user_agent":"%(a)s"}'
)
