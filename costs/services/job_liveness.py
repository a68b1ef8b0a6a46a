"""Jobs whose worker died: poison tasks and dead jobs.

Ingest tasks are acknowledged late and rejected when their worker is lost, so a task whose
worker was killed (out of memory, deploy, SIGKILL) is delivered again. A file that kills
every worker that reads it would come back forever: each job counts the times its task
started, and after MAX_WORKER_LOSSES losses the next delivery fails the job and returns
(the task is acknowledged). A running job also carries a heartbeat (costs.ingest.progress);
a beat task fails the jobs whose heartbeat stopped, so a dead job does not look alive.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from costs.models import IngestionJob, JobStatus, JobTrigger

# A task delivered this many times without finishing is not delivered to a worker again.
MAX_WORKER_LOSSES = 3
DEFAULT_HEARTBEAT_STALE_SECONDS = 300
DEAD_JOB_PREFIX = "The worker stopped while reading"


def job_file_names(job: IngestionJob) -> str:
    """The job's files as a user knows them (uploads are stored under uploads/<random>/)."""
    names = [name.rsplit("/", 1)[-1] for name in job.files] or ["its files"]
    return ", ".join(names)


def poison_message(job: IngestionJob) -> str:
    return (
        f"The worker stopped three times while reading {job_file_names(job)}; "
        "the file is likely malformed or too large for one job."
    )


def job_task_started(*, job: IngestionJob) -> int:
    """Count one more start of this job's task (one atomic UPDATE) and return the new count."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE costs_ingestionjob SET task_starts = task_starts + 1 WHERE id = %s RETURNING task_starts",
            [job.pk],
        )
        row = cursor.fetchone()
    job.task_starts = int(row[0]) if row else job.task_starts + 1
    return job.task_starts


def job_poison_fail_if_lost_too_often(*, job: IngestionJob) -> bool:
    """Count this start; when earlier starts were lost MAX_WORKER_LOSSES times, fail the job (True).

    Call it first thing in a task that runs `job`. Earlier starts that finished (succeeded
    or failed) are not losses: callers leave finished jobs alone before counting.
    """
    starts = job_task_started(job=job)
    if starts <= MAX_WORKER_LOSSES:
        return False
    now = timezone.now()
    message = poison_message(job)
    # rows = 0: a killed run may have reported progress, and nothing of it was kept.
    IngestionJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error=message, finished_at=now, rows=0)
    job.status, job.error, job.finished_at, job.rows = JobStatus.FAILED, message, now, 0
    return True


def heartbeat_stale_seconds() -> int:
    return int(getattr(settings, "INGEST_HEARTBEAT_STALE_SECONDS", DEFAULT_HEARTBEAT_STALE_SECONDS))


def dead_job_message(job: IngestionJob, *, stale_seconds: int) -> str:
    minutes = max(1, round(stale_seconds / 60))
    then = (
        "Upload the file again; if it stops again, the file is too large for one job: "
        "link the account so large bills come from S3, or split the file."
        if job.trigger == JobTrigger.UPLOAD
        else "The next check of the source tries the delivery again."
    )
    return (
        f"{DEAD_JOB_PREFIX} {job_file_names(job)}: no sign of life for {minutes} "
        f"minute{'s' if minutes != 1 else ''} (it was restarted or ran out of memory). Nothing of it was kept. {then}"
    )


def jobs_dead_fail(*, now: datetime.datetime | None = None) -> list[int]:
    """Fail this organization's running jobs whose heartbeat is older than the stale limit; their ids.

    Each update is conditional on the heartbeat read, so a job that beats meanwhile is left alone.
    """
    now = now or timezone.now()
    stale = heartbeat_stale_seconds()
    cutoff = now - datetime.timedelta(seconds=stale)
    dead = IngestionJob.objects.filter(status=JobStatus.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    failed: list[int] = []
    for job in dead.only("pk", "files", "trigger", "heartbeat_at"):
        claimed = IngestionJob.objects.filter(
            pk=job.pk, status=JobStatus.RUNNING, heartbeat_at=job.heartbeat_at
        ).update(status=JobStatus.FAILED, error=dead_job_message(job, stale_seconds=stale), finished_at=now, rows=0)
        if claimed:
            failed.append(job.pk)
    return failed
