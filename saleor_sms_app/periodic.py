"""A daemon thread that does one thing every few seconds until it is stopped.

The worker runs two: the scheduler's tick (:class:`saleor_sms_app.scheduler.tick.SchedulerLoop`)
and the watch on RQ's scheduler process (:class:`saleor_sms_app.worker.SchedulerWatch`). Both must
outlive a database or Redis hiccup, so a step that raises is logged and the next round tries again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class PeriodicThread:
    """Calls ``step`` every ``seconds`` in a daemon thread until :meth:`stop` (what it
    returns is not used).

    ``at_once``: the first call is made when the thread starts, not after the
    first wait. ``failure`` is the warning logged (with the traceback) when a
    step raises.
    """

    def __init__(
        self,
        name: str,
        seconds: float,
        step: Callable[[], object],
        failure: str,
        *,
        at_once: bool,
    ) -> None:
        self._seconds = seconds
        self._step = step
        self._failure = failure
        self._at_once = at_once
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        if not self._at_once and self._stop.wait(self._seconds):
            return
        while not self._stop.is_set():
            try:
                self._step()
            except Exception:  # noqa: BLE001 - the thread must outlive a hiccup
                log.warning(self._failure, exc_info=True)
            self._stop.wait(self._seconds)
