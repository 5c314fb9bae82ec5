"""Delivering webhooks the way Saleor's Celery task does, with its retries.

Saleor (``saleor/webhook/transport/asynchronous/transport.py``,
``send_webhook_request_async``: ``retry_backoff=10``, ``max_retries=5``,
``WEBHOOK_TIMEOUT=(2, 18)``) treats a 2xx as delivered, retries connection
errors, timeouts and 5xx up to 5 times with a countdown of ``10 × 2^n`` s
(10, 20, 40, 80, 160 s), and gives up at once on 3xx and 4xx. This sender does
the same, except that the countdowns are multiplied by ``scale`` so that a
chaos run lasts minutes, not the quarter of an hour Saleor's schedule spans;
each scenario says which scale it used. Celery's jitter is left out.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

#: Saleor's retry countdowns (seconds) before the scale is applied.
SALEOR_RETRY_DELAYS = tuple(10 * 2**n for n in range(5))
#: Saleor's connect and read timeouts for webhook requests.
SALEOR_TIMEOUT = (2, 18)


@dataclass
class Delivery:
    """One webhook, from its first attempt to a final outcome."""

    key: str
    url: str
    body: bytes
    headers: dict[str, str]
    first_sent: float | None = None
    #: (when, HTTP status or the exception's name) of every attempt.
    answers: list[tuple[float, int | str]] = field(default_factory=list)
    #: "delivered", "gave_up" (retries exhausted or a 4xx), None while in progress.
    outcome: str | None = None


class SaleorSender:
    """Sends scheduled deliveries from a pool of keep-alive connections, retrying like Saleor."""

    def __init__(self, scale: float, threads: int = 16) -> None:
        self.scale = scale
        self.deliveries: list[Delivery] = []
        self._due: list[tuple[float, int, Delivery, int]] = []
        self._order = itertools.count()
        self._lock = threading.Condition()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="saleor-sender")
        self._local = threading.local()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._dispatch, daemon=True)
        self._thread.start()

    def schedule(self, delivery: Delivery, at: float) -> None:
        """Send ``delivery`` at monotonic time ``at`` (then retry as Saleor would)."""
        with self._lock:
            self.deliveries.append(delivery)
            heapq.heappush(self._due, (at, next(self._order), delivery, 0))
            self._lock.notify()

    def pending(self) -> int:
        return sum(1 for d in self.deliveries if d.outcome is None)

    def wait(self, timeout: float) -> bool:
        """Whether every delivery reached an outcome within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self.pending():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self._lock.notify()
        self._thread.join()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _dispatch(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                if not self._due:
                    self._lock.wait(0.1)
                    continue
                at, _, delivery, attempt = self._due[0]
                delay = at - time.monotonic()
                if delay > 0:
                    self._lock.wait(min(delay, 0.1))
                    continue
                heapq.heappop(self._due)
            self._pool.submit(self._attempt, delivery, attempt)

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _attempt(self, delivery: Delivery, attempt: int) -> None:
        started = time.monotonic()
        if delivery.first_sent is None:
            delivery.first_sent = started
        answer: int | str
        try:
            response = self._session().post(
                delivery.url,
                data=delivery.body,
                headers=delivery.headers,
                timeout=SALEOR_TIMEOUT,
                allow_redirects=False,
            )
            answer = response.status_code
        except requests.RequestException as exc:
            answer = type(exc).__name__
        delivery.answers.append((started, answer))
        if isinstance(answer, int) and 200 <= answer < 300:
            delivery.outcome = "delivered"
            return
        if (isinstance(answer, int) and answer < 500) or attempt >= len(SALEOR_RETRY_DELAYS):
            delivery.outcome = "gave_up"
            return
        due = time.monotonic() + SALEOR_RETRY_DELAYS[attempt] * self.scale
        with self._lock:
            heapq.heappush(self._due, (due, next(self._order), delivery, attempt + 1))
            self._lock.notify()
