"""Upload handlers: no file is read past the upload limit, and no upload leaves a file behind (issue 16 item 4).

Django's own disk handler writes each upload to a *named* temporary file: a worker killed
mid-request (OOM, deploy, gunicorn's timeout) never unlinks it, and the disk fills. Here
the bytes go to an unnamed temporary file instead (`tempfile.TemporaryFile`: O_TMPFILE, or
unlinked at once), which the kernel frees when the last descriptor closes, including when
the process dies. Storage copies it by chunks (it has no path to move).

`UploadLimitHandler` runs first and counts each file's bytes as they arrive: past the limit
it stops the parser (`StopUpload`, without reading the rest of the body) and leaves the
reason on the request (`request.upload_refused`) for the view to show. The request's
Content-Length is checked before any of this, by `finops.middleware.RequestBodyLimitMiddleware`;
this handler covers a body whose length the middleware could not trust.
"""

from __future__ import annotations

import tempfile
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers, StopUpload


def upload_limit_bytes() -> int:
    """The largest file the web tier accepts in one request: COST_UPLOAD_MAX_BYTES, or 0 with S3 storage.

    With S3 storage (production) browsers post files straight to the bucket (a presigned
    POST), so no file ever has a reason to pass through the web tier.
    """
    if settings.AWS_STORAGE_BUCKET_NAME:
        return 0
    return int(settings.COST_UPLOAD_MAX_BYTES)


def limit_text(limit: int) -> str:
    return f"{limit // 1024 // 1024} MB" if limit >= 1024 * 1024 else f"{limit} bytes"


class TailRecordingStream:
    """A request body stream that remembers its last bytes, to tell a complete multipart body from a cut one."""

    KEEP = 256

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.tail = b""

    def read(self, *args: Any, **kwargs: Any) -> bytes:
        data: bytes = self.stream.read(*args, **kwargs)
        if data:
            self.tail = (self.tail + data)[-self.KEEP :]
        return data

    def readline(self, *args: Any, **kwargs: Any) -> bytes:
        data: bytes = self.stream.readline(*args, **kwargs)
        if data:
            self.tail = (self.tail + data)[-self.KEEP :]
        return data

    def close(self) -> None:
        self.stream.close()


class UploadLimitHandler(FileUploadHandler):
    """Counts each uploaded file's bytes and stops the upload at the limit; refuses a body cut short.

    Django reads exactly Content-Length bytes, so a client that declares less than it sends
    (or a body cut off on the way) ends the multipart body without its closing boundary, and
    the parser would hand over the truncated file as if it were whole. The last bytes read
    tell: a complete body ends with `--<boundary>--`.
    """

    received = 0
    boundary = b""
    stream: TailRecordingStream | None = None

    def handle_raw_input(
        self, input_data: Any, META: dict[str, str], content_length: int, boundary: Any, encoding: str | None = None
    ) -> None:
        self.boundary = boundary if isinstance(boundary, bytes) else str(boundary).encode()
        if self.request is not None and hasattr(self.request, "_stream"):
            self.stream = TailRecordingStream(self.request._stream)
            self.request._stream = self.stream  # type: ignore[assignment]
        return None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        limit = upload_limit_bytes()
        if self.received > limit:
            self.request.upload_refused = (  # type: ignore[union-attr]
                f"{self.file_name}: the upload is larger than the {limit_text(limit)} upload limit; it was "
                "stopped there. Link your AWS account to ingest larger bills straight from S3."
                if limit
                else f"{self.file_name}: files go straight to storage from the upload page, not through this server."
            )
            # connection_reset: the parser stops here instead of reading the rest of the body.
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def upload_complete(self) -> None:
        refused = getattr(self.request, "upload_refused", None)
        if refused or self.stream is None or not self.boundary:
            return None
        if not self.stream.tail.rstrip(b"\r\n").endswith(b"--" + self.boundary + b"--"):
            self.request.upload_refused = (  # type: ignore[union-attr]
                "The upload ended before its last byte (the request was cut short or its Content-Length "
                "was wrong); nothing was stored. Please upload the file again."
            )
        return None


class UnnamedTemporaryUploadedFile(UploadedFile):
    """An upload held in a temporary file that has no name on disk (nothing to clean up, ever)."""

    def __init__(self, name: str, content_type: str, size: int, charset: str | None, content_type_extra: Any) -> None:
        file = tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)  # noqa: SIM115 (closed with the upload)
        super().__init__(file, name, content_type, size, charset, content_type_extra)


class UnnamedTemporaryFileUploadHandler(FileUploadHandler):
    """Django's TemporaryFileUploadHandler, with an unnamed temporary file."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.file = UnnamedTemporaryUploadedFile(
            self.file_name or "upload", self.content_type or "", 0, self.charset, self.content_type_extra
        )
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.file.write(raw_data)

    def file_complete(self, file_size: int) -> UploadedFile:
        self.file.seek(0)
        self.file.size = file_size
        return self.file

    def upload_interrupted(self) -> None:
        if hasattr(self, "file"):
            self.file.close()
