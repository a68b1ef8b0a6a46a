"""A local stand-in for Amazon Bedrock, for tests and `make bench` (moto has no Bedrock runtime).

A real HTTP server on loopback speaking the REST-JSON wire protocol boto3 uses:
`POST /model/{modelId}/converse`, `POST /model/{modelId}/count-tokens`, and the control plane's
`POST /model-invocation-job` / `GET /model-invocation-job/{id}` (batch inference, also absent
from moto). Errors are non-2xx answers with `x-amzn-ErrorType`, which botocore maps to
exceptions. Every request must carry a valid SigV4 signature (checked with botocore's signer
against the known test credentials). Request bodies are recorded for inspection, and answers
follow a script: throttling, 5xx, slow answers, malformed output, hallucinated or missing ids,
contradicting numbers, or (by default) a well-formed answer built from the candidates sent.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

CANDIDATES = re.compile(r"<candidates>\s*(\{.*\})\s*</candidates>", re.S)
SIGNATURE = re.compile(
    r"Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, SignedHeaders=([^,]+), Signature=(\w+)"
)


@dataclass
class Action:
    """One scripted answer. kind: good | error | delay | malformed | hallucinate | missing | contradict."""

    kind: str = "good"
    status: int = 200
    error_type: str = ""
    seconds: float = 0.0


THROTTLE = Action("error", 429, "ThrottlingException")
SERVER_ERROR = Action("error", 500, "InternalServerException")
UNAVAILABLE = Action("error", 503, "ServiceUnavailableException")


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Job:
    arn: str
    body: dict[str, Any]
    status: str = "Submitted"
    polls: int = 0


def tokens_of(value: Any) -> int:
    """A stable stand-in for a tokenizer: about four characters per token."""
    return max(1, len(json.dumps(value, separators=(",", ":"))) // 4)


def good_items(candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": c["id"],
            "priority": "high" if float(c.get("monthly_savings", "0")) >= 100 else "medium",
            "rationale": f"{c.get('title', '')}. It saves ${c.get('monthly_savings')} a month, as computed from the bill.",
            "risk": "Check that nothing still depends on the resource before changing it.",
            "effort": "low",
            "steps": [
                {"kind": "cli", "text": f"aws resourcegroupstaggingapi get-resources # {c.get('resource_id', '')}"}
            ],
        }
        for c in candidates
    ]


class LocalBedrock:
    """start() it, point BEDROCK_ENDPOINT_URL at `.url`, script answers with `.script.extend([...])`."""

    def __init__(
        self,
        *,
        access_key: str = "testing",
        secret_key: str = "testing",  # noqa: S107 - moto's dummy credentials, accepted by nothing real
        region: str = "us-east-1",
        s3_endpoint: str | None = None,
    ) -> None:
        self.credentials = {access_key: secret_key}
        self.region = region
        self.s3_endpoint = s3_endpoint
        self.script: deque[Action] = deque()
        self.requests: list[Recorded] = []
        self.jobs: dict[str, Job] = {}
        self.supports_output_config = True
        self.supports_flex = True
        self.in_flight = 0
        self.max_in_flight = 0
        # Bumped by reset(): a request still answering for an earlier test (a client that timed
        # out leaves one sleeping) does not count against the next test's figures.
        self.generation = 0
        self.lock = threading.Lock()
        self._seen_system: set[str] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> LocalBedrock:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="local-bedrock", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def reset(self) -> None:
        with self.lock:
            self.script.clear()
            self.requests.clear()
            self.jobs.clear()
            self._seen_system.clear()
            self.supports_output_config = True
            self.supports_flex = True
            self.in_flight = self.max_in_flight = 0
            self.generation += 1

    def converse_bodies(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests if r.path.endswith("/converse")]

    # -- signature ------------------------------------------------------------------------------
    def signature_problem(self, method: str, path: str, headers: dict[str, str], body: bytes) -> str:
        """'' when the request is SigV4-signed with a key we know; else why not."""
        match = SIGNATURE.search(headers.get("authorization", ""))
        if not match:
            return "MissingAuthenticationTokenException"
        access_key, _day, region, service, signed, signature = match.groups()
        secret = self.credentials.get(access_key)
        if secret is None:
            return "UnrecognizedClientException"
        names = signed.split(";")
        request = AWSRequest(
            method=method,
            url=f"http://{headers.get('host', '')}{path}",
            data=body,
            headers={name: headers.get(name, "") for name in names},
        )
        request.context["timestamp"] = headers.get("x-amz-date", "")
        signer = SigV4Auth(Credentials(access_key, secret, headers.get("x-amz-security-token")), service, region)
        signer._modify_request_before_signing = lambda _request: None  # type: ignore[method-assign]
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        return "" if expected == signature else "InvalidSignatureException"

    # -- runtime ---------------------------------------------------------------------------------
    def next_action(self) -> Action:
        with self.lock:
            return self.script.popleft() if self.script else Action()

    def converse(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
        """(status, answer, error type) for a Converse body; counts how many are answered at once."""
        with self.lock:
            generation = self.generation
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return self._converse(body)
        finally:
            with self.lock:
                if generation == self.generation:
                    self.in_flight -= 1

    def _converse(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
        if "outputConfig" in body and not self.supports_output_config:
            return 400, {"message": "This model does not support outputConfig.textFormat"}, "ValidationException"
        tier = (body.get("serviceTier") or {}).get("type", "default")
        if tier == "flex" and not self.supports_flex:
            return 400, {"message": "The flex service tier is not available for this model"}, "ValidationException"
        action = self.next_action()
        if action.kind == "error":
            return action.status, {"message": f"scripted {action.error_type}"}, action.error_type
        if action.kind == "delay":
            time.sleep(action.seconds)
        return 200, self.answer(body, action, tier), ""

    def answer(self, body: dict[str, Any], action: Action, tier: str) -> dict[str, Any]:
        text = "".join(
            block.get("text", "") for message in body.get("messages", []) for block in message.get("content", [])
        )
        match = CANDIDATES.search(text)
        candidates = json.loads(match.group(1))["candidates"] if match else []
        items = good_items(candidates)
        if action.kind == "hallucinate":
            items = items[1:] + [{**items[0], "id": "r999999999"}] if items else items
        elif action.kind == "missing":
            items = items[:-1]
        elif action.kind == "contradict" and items:
            items[0] = {**items[0], "rationale": "This saves $987,654.32 every month."}
        payload = json.dumps({"recommendations": items})
        if action.kind == "malformed":
            payload = payload[: len(payload) // 2] + " ...and some prose"
        if "toolConfig" in body and "outputConfig" not in body:
            name = body["toolConfig"]["tools"][0]["toolSpec"]["name"]
            tool_input: Any = {"recommendations": items} if action.kind != "malformed" else {"recommendations": "oops"}
            content: list[dict[str, Any]] = [
                {"toolUse": {"toolUseId": uuid.uuid4().hex[:12], "name": name, "input": tool_input}}
            ]
            stop = "tool_use"
        else:
            content = [{"text": payload}]
            stop = "end_turn"
        system = body.get("system", [])
        system_tokens = tokens_of([b for b in system if "text" in b])
        cached = any("cachePoint" in block for block in system)
        key = hashlib.sha256(json.dumps(system, sort_keys=True).encode()).hexdigest()
        with self.lock:
            seen = key in self._seen_system
            self._seen_system.add(key)
        cache_read = system_tokens if cached and seen else 0
        cache_write = system_tokens if cached and not seen else 0
        input_tokens = tokens_of(body.get("messages", [])) + (0 if cached else system_tokens)
        output_tokens = tokens_of(content)
        return {
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": stop,
            "usage": {
                "inputTokens": input_tokens,
                "outputTokens": output_tokens,
                "totalTokens": input_tokens + output_tokens + cache_read + cache_write,
                "cacheReadInputTokens": cache_read,
                "cacheWriteInputTokens": cache_write,
            },
            "metrics": {"latencyMs": 5},
            "serviceTier": {"type": tier},
        }

    def count_tokens(self, body: dict[str, Any]) -> int:
        converse = body.get("input", {}).get("converse", {})
        return tokens_of(converse.get("messages", [])) + tokens_of(converse.get("system", []))

    # -- batch inference (control plane) ----------------------------------------------------------
    def job_create(self, body: dict[str, Any]) -> dict[str, Any]:
        job_id = uuid.uuid4().hex[:12]
        arn = f"arn:aws:bedrock:{self.region}:123456789012:model-invocation-job/{job_id}"
        with self.lock:
            self.jobs[arn] = Job(arn=arn, body=body)
        return {"jobArn": arn}

    def job_get(self, identifier: str) -> tuple[int, dict[str, Any], str]:
        job = self.jobs.get(identifier) or next((j for j in self.jobs.values() if j.arn.endswith(identifier)), None)
        if job is None:
            return 404, {"message": f"no job {identifier}"}, "ResourceNotFoundException"
        job.polls += 1
        if job.status == "Submitted":
            job.status = "InProgress"  # the first look finds it running, as a real job would be
        elif job.status == "InProgress":
            self._job_run(job)
        return (
            200,
            {
                "jobArn": job.arn,
                "jobName": job.body.get("jobName", ""),
                "modelId": job.body.get("modelId", ""),
                "roleArn": job.body.get("roleArn", ""),
                "status": job.status,
                "submitTime": "2026-01-01T00:00:00Z",
                "inputDataConfig": job.body.get("inputDataConfig", {}),
                "outputDataConfig": job.body.get("outputDataConfig", {}),
            },
            "",
        )

    def _job_run(self, job: Job) -> None:
        """Answer every record of the job's input (from S3) and write the .out file next to it."""
        s3 = boto3.session.Session().client("s3", region_name=self.region, endpoint_url=self.s3_endpoint)
        source = job.body["inputDataConfig"]["s3InputDataConfig"]["s3Uri"]
        bucket, _, key = source.removeprefix("s3://").partition("/")
        lines = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
        out = []
        for line in filter(None, lines):
            record = json.loads(line)
            status, answer, error = self.converse(record["modelInput"])
            result: dict[str, Any] = {"recordId": record["recordId"], "modelInput": record["modelInput"]}
            if status == 200:
                result["modelOutput"] = answer
            else:
                result["error"] = {"errorCode": status, "errorMessage": f"{error}: {answer.get('message', '')}"}
            out.append(json.dumps(result))
        target = job.body["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"]
        out_bucket, _, prefix = target.removeprefix("s3://").partition("/")
        prefix = prefix.rstrip("/") + "/" if prefix else ""
        out_key = f"{prefix}{job.arn.rsplit('/', 1)[-1]}/{key.rsplit('/', 1)[-1]}.out"
        s3.put_object(Bucket=out_bucket, Key=out_key, Body="\n".join(out).encode())
        job.status = "Completed"


def _handler_for(bedrock: LocalBedrock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            return

        def _reply(self, status: int, payload: dict[str, Any], error_type: str = "") -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            if error_type:
                self.send_header("x-amzn-ErrorType", f"{error_type}:http://internal.amazon.com/coral/")
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            problem = bedrock.signature_problem(method, self.path, headers, raw)
            if problem:
                self._reply(403, {"message": "The request signature we calculated does not match"}, problem)
                return
            body = json.loads(raw) if raw else {}
            path = urlsplit(self.path).path
            with bedrock.lock:
                bedrock.requests.append(Recorded(method, unquote(path), headers, body))
            if method == "POST" and path.endswith("/converse"):
                self._reply(*bedrock.converse(body))
            elif method == "POST" and path.endswith("/count-tokens"):
                self._reply(200, {"inputTokens": bedrock.count_tokens(body)})
            elif method == "POST" and path == "/model-invocation-job":
                self._reply(200, bedrock.job_create(body))
            elif method == "GET" and path.startswith("/model-invocation-job/"):
                self._reply(*bedrock.job_get(unquote(path.removeprefix("/model-invocation-job/"))))
            else:
                self._reply(404, {"message": f"no route {method} {path}"}, "UnknownOperationException")

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            self._handle("POST")

        def do_GET(self) -> None:  # noqa: N802
            self._handle("GET")

    return Handler


__all__ = ["Action", "LocalBedrock", "SERVER_ERROR", "THROTTLE", "UNAVAILABLE"]


def runtime_client(url: str, *, secret_key: str = "testing", total_attempts: int | None = None) -> Any:  # noqa: S107
    """A plain boto3 bedrock-runtime client on the local server (for tests of the server itself)."""
    from botocore.config import Config

    config = Config(retries={"total_max_attempts": total_attempts, "mode": "standard"}) if total_attempts else None
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key=secret_key,
        config=config,
    )
