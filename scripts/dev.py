"""`make run`: start Redis (unless REDIS_URL is set), migrate, then web + worker until Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def main() -> int:
    env = dict(os.environ)
    data_dir = Path(env.setdefault("DATA_DIR", str(ROOT / ".data"))).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    port = env.setdefault("PORT", "8000")
    env.setdefault("APP_URL", f"http://localhost:{port}")

    if not env.get("SECRET_KEY"):
        # A development key, made once and kept, so encrypted data survives restarts.
        key_file = data_dir / "secret_key"
        if not key_file.exists():
            sys.path.insert(0, str(ROOT))
            from saleor_sms_app.settings import generate_secret_key

            key_file.write_text(generate_secret_key())
            key_file.chmod(0o600)
        env["SECRET_KEY"] = key_file.read_text().strip()

    procs: list[subprocess.Popen[bytes]] = []
    if not env.get("REDIS_URL"):
        redis_bin = env.get("REDIS_SERVER_BIN") or shutil.which("redis-server")
        if not redis_bin:
            print("redis-server not found and REDIS_URL not set", file=sys.stderr)
            return 1
        redis_port = env.get("DEV_REDIS_PORT", "6390")
        redis_dir = data_dir / "redis"
        redis_dir.mkdir(exist_ok=True)
        procs.append(
            subprocess.Popen(
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
                stdout=subprocess.DEVNULL,
                # Its own session: Ctrl-C in the terminal must not stop Redis
                # before the worker has finished; it is stopped last, below.
                start_new_session=True,
            )
        )
        env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
        time.sleep(0.3)
        # flush: the children write to the same output (a log file buffers).
        print(f"started a local Redis at {env['REDIS_URL']} (data in {redis_dir})", flush=True)

    migrate = subprocess.run(
        [sys.executable, "-m", "saleor_sms_app.cli", "migrate"], env=env, cwd=ROOT
    )
    if migrate.returncode:
        for p in procs:
            p.terminate()
        return migrate.returncode

    procs.append(
        subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "--config",
                "saleor_sms_app/gunicorn_conf.py",
                "saleor_sms_app.app:create_app()",
            ],
            env=env,
            cwd=ROOT,
        )
    )
    procs.append(
        subprocess.Popen(
            [
                str(VENV_BIN / "rq"),
                "worker",
                "--config",
                "saleor_sms_app.rq_config",
                "--worker-class",
                "saleor_sms_app.worker.SmsWorker",
                "--with-scheduler",
            ],
            env=env,
            cwd=ROOT,
        )
    )
    print(
        f"\nsaleor-sms-app is running: manifest at {env['APP_URL']}/api/manifest (Ctrl-C stops)\n",
        flush=True,
    )

    stopping = False

    def stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and all(p.poll() is None for p in procs):
            time.sleep(0.2)
    finally:
        # Web and worker first, Redis last, so the worker can finish its job cleanly.
        for group in (procs[-2:], procs[:-2]):
            for p in group:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for p in group:
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
    failed = [p.args[0] for p in procs if p.returncode not in (0, -15, None) and not stopping]
    if failed:
        print(f"stopped because a process exited: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
