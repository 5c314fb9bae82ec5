"""`make run`: start Redis (unless REDIS_URL is set), migrate, then web + worker until Ctrl-C.

The web and worker commands are the Procfile's, so development runs what a
platform runs. Differences from production, on purpose:

* the web process listens on loopback (``HOST=127.0.0.1``) unless ``HOST`` says
  otherwise: a development copy is not for the network it happens to be on;
* the local Redis is supervised: when it exits it is started again (after 1 s,
  doubling up to 30 s while it keeps failing), and web and worker keep running
  meanwhile. Webhooks are answered 503 while Redis is away, so Saleor retries
  them, exactly as in production when Redis has a hiccup;
* a worker that exits while Redis is away or just back (RQ gives up when Redis
  vanishes outside its wait for a job) is started again too, as a platform's
  process manager would;
* any other exit stops the whole app, and the message names the process that
  exited, not whichever was stopped after it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

#: Seconds before the first restart of a Redis that exited, and the longest wait.
REDIS_RESTART_FIRST = 1.0
REDIS_RESTART_LONGEST = 30.0
#: A Redis that stayed up this long counts as healthy again: the next restart is quick.
REDIS_HEALTHY_AFTER = 60.0
#: A worker that exits this soon after Redis went away or came back exited because of it.
REDIS_AFTERMATH = 30.0


@dataclass
class Child:
    """One supervised process: its name in messages, its command, and how it is run."""

    name: str
    command: list[str]
    env: dict[str, str]
    #: Started again when it exits (Redis) instead of stopping the app.
    restart: bool = False
    #: Started again when it exits while Redis is away or just back (the RQ worker:
    #: RQ gives up when Redis vanishes outside its wait for a job).
    restart_after_redis: bool = False
    #: Its own session: Ctrl-C in the terminal must not stop Redis before the
    #: worker has finished; Redis is stopped last, below.
    own_session: bool = False
    #: Where its output goes (appended), so that the reason it exited can be shown.
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restart_delay: float = REDIS_RESTART_FIRST
    restart_at: float | None = None

    def start(self) -> None:
        if self.log_path is None:
            self.process = self._popen(None)
        else:
            with self.log_path.open("ab") as log:
                self.process = self._popen(log)
        self.started_at = time.monotonic()
        self.restart_at = None

    def _popen(self, log: BinaryIO | None) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.command,
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT if log is not None else None,
            start_new_session=self.own_session,
        )

    def last_words(self, lines: int = 3) -> str:
        """The end of its log: why a Redis that exited did so (a port in use, a bad AOF...)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        tail = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join("    " + line for line in tail)

    def exited(self) -> int | None:
        """Its exit code once it has exited (and was not already noted), else None."""
        if self.process is None or self.restart_at is not None:
            return None
        return self.process.poll()

    def schedule_restart(self) -> float:
        """Plan the next start; a Redis that was up a while restarts quickly again."""
        now = time.monotonic()
        if now - self.started_at >= REDIS_HEALTHY_AFTER:
            self.restart_delay = REDIS_RESTART_FIRST
        delay = self.restart_delay
        self.restart_at = now + delay
        self.restart_delay = min(self.restart_delay * 2, REDIS_RESTART_LONGEST)
        return delay

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = 15) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Supervisor:
    redis: Child | None
    app: list[Child] = field(default_factory=list)
    stopping: bool = False
    #: When Redis was last seen exiting or started again (monotonic seconds).
    redis_trouble_at: float | None = None

    def run(self) -> int:
        """Watch the children until Ctrl-C or one of web/worker exits; 0 or 1."""
        culprit: tuple[Child, int] | None = None
        try:
            while not self.stopping and culprit is None:
                culprit = self.step()
                time.sleep(0.2)
        finally:
            # Web and worker first, Redis last, so the worker can finish its job cleanly.
            for group in (self.app, [self.redis] if self.redis else []):
                for child in group:
                    child.stop()
                for child in group:
                    child.wait()
        if culprit is not None:
            child, code = culprit
            print(
                f"stopped because {child.name} exited with code {code}: "
                f"{shlex.join(child.command)}",
                file=sys.stderr,
                flush=True,
            )
            return 1
        return 0

    def redis_troubled(self) -> bool:
        """Redis is away, or came back less than :data:`REDIS_AFTERMATH` seconds ago."""
        if self.redis is None:
            return False
        if self.redis.restart_at is not None:
            return True
        return (
            self.redis_trouble_at is not None
            and time.monotonic() - self.redis_trouble_at < REDIS_AFTERMATH
        )

    def step(self) -> tuple[Child, int] | None:
        """One look at the children: restart Redis (and a worker it took down) when due;
        the web/worker that exited on its own."""
        redis = self.redis
        if redis is not None:
            code = redis.exited()
            if code is not None:
                self.redis_trouble_at = time.monotonic()
                delay = redis.schedule_restart()
                print(
                    f"{redis.name} exited with code {code}; starting it again in {delay:g} s "
                    "(web and worker keep running; webhooks are answered 503 meanwhile, "
                    f"so Saleor delivers them again); its log ({redis.log_path}) ends:\n"
                    f"{redis.last_words()}",
                    file=sys.stderr,
                    flush=True,
                )
            elif redis.restart_at is not None and time.monotonic() >= redis.restart_at:
                redis.start()
                self.redis_trouble_at = time.monotonic()
                print(f"{redis.name} started again", file=sys.stderr, flush=True)
        for child in self.app:
            if child.restart_at is not None:
                if time.monotonic() >= child.restart_at:
                    child.start()
                    print(f"{child.name} started again", file=sys.stderr, flush=True)
                continue
            code = child.exited()
            if code is None:
                continue
            if child.restart_after_redis and self.redis_troubled():
                delay = child.schedule_restart()
                print(
                    f"{child.name} exited with code {code} while Redis was away; "
                    f"starting it again in {delay:g} s",
                    file=sys.stderr,
                    flush=True,
                )
                continue
            return child, code
        return None


def procfile_command(name: str) -> list[str]:
    """The Procfile's command for process ``name`` (``web``, ``worker``)."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        key, _, command = line.partition(":")
        if key.strip() == name:
            return shlex.split(command)
    raise SystemExit(f"the Procfile has no {name} process")


def wait_for_port(host: str, port: int, process: subprocess.Popen[bytes], seconds: float) -> bool:
    """True once something listens on host:port; False if ``process`` exits first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def main() -> int:
    env = dict(os.environ)
    data_dir = Path(env.setdefault("DATA_DIR", str(ROOT / ".data"))).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    port = env.setdefault("PORT", "8000")
    env.setdefault("HOST", "127.0.0.1")
    env.setdefault("APP_URL", f"http://localhost:{port}")
    # The Procfile names its programs bare, as a platform's PATH has them.
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    # Development talks to providers and a dashboard on this machine: allow
    # loopback provider URLs (refused in production unless the operator says so)
    # and a dashboard served from any loopback origin.
    env.setdefault("ALLOW_PRIVATE_PROVIDER_URLS", "127.0.0.0/8,::1")
    env.setdefault("ALLOWED_DASHBOARD_ORIGINS", r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?")

    if not env.get("SECRET_KEY"):
        # A development key, made once and kept, so encrypted data survives restarts.
        key_file = data_dir / "secret_key"
        if not key_file.exists():
            sys.path.insert(0, str(ROOT))
            from saleor_sms_app.settings import generate_secret_key

            key_file.write_text(generate_secret_key())
            key_file.chmod(0o600)
        env["SECRET_KEY"] = key_file.read_text().strip()

    if not env.get("PROMETHEUS_MULTIPROC_DIR"):
        # One folder the web workers and the RQ worker all count into, so /metrics
        # shows the whole app; emptied at each start, as prometheus_client asks.
        metrics_dir = data_dir / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir()
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)

    redis: Child | None = None
    if not env.get("REDIS_URL"):
        redis_bin = env.get("REDIS_SERVER_BIN") or shutil.which("redis-server")
        if not redis_bin:
            print("redis-server not found and REDIS_URL not set", file=sys.stderr)
            return 1
        redis_port = env.get("DEV_REDIS_PORT", "6390")
        redis_dir = data_dir / "redis"
        redis_dir.mkdir(exist_ok=True)
        redis = Child(
            "redis-server",
            [
                redis_bin,
                "--port",
                redis_port,
                "--bind",
                "127.0.0.1",
                "--dir",
                str(redis_dir),
                "--appendonly",
                "yes",
                "--save",
                "",
            ],
            env,
            restart=True,
            own_session=True,
            log_path=redis_dir / "redis.log",
        )
        redis.start()
        assert redis.process is not None
        if not wait_for_port("127.0.0.1", int(redis_port), redis.process, 10):
            print(f"redis-server did not start on port {redis_port}", file=sys.stderr)
            redis.stop()
            redis.wait()
            return 1
        env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
        # flush: the children write to the same output (a log file buffers).
        print(f"started a local Redis at {env['REDIS_URL']} (data in {redis_dir})", flush=True)

    migrate = subprocess.run(
        [sys.executable, "-m", "saleor_sms_app.cli", "migrate"], env=env, cwd=ROOT
    )
    if migrate.returncode:
        if redis is not None:
            redis.stop()
            redis.wait()
        return migrate.returncode

    supervisor = Supervisor(
        redis,
        [
            Child("web", procfile_command("web"), env),
            Child("worker", procfile_command("worker"), env, restart_after_redis=True),
        ],
    )
    for child in supervisor.app:
        child.start()
    print(
        f"\nsaleor-sms-app is running: manifest at {env['APP_URL']}/api/manifest, "
        f"listening on {env['HOST']}:{port} (Ctrl-C stops)\n",
        flush=True,
    )

    def stop(*_args: object) -> None:
        supervisor.stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
