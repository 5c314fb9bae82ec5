"""The embedded default provider: accepts every valid number, sends nothing.

Like Django's file e-mail backend, it appends one JSON line per message to
``SMS_SANDBOX_OUTBOX`` so a developer (or a test) can see exactly what would
have gone out. New installs use it until a real provider is configured.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import UTC, datetime
from typing import ClassVar

from saleor_sms_app.providers.base import SmsProvider
from saleor_sms_app.providers.models import (
    FailureReason,
    OutboundSms,
    ProviderError,
    SendResult,
    SendStatus,
)
from saleor_sms_app.segments import count_segments

_lock = threading.Lock()


class SandboxProvider(SmsProvider):
    name: ClassVar[str] = "sandbox"
    label: ClassVar[str] = "Sandbox (writes to a file, sends nothing)"

    def send(self, sms: OutboundSms) -> SendResult:
        outbox = self.context.sandbox_outbox
        if outbox is None:
            raise ProviderError(
                FailureReason.OTHER,
                "SMS_SANDBOX_OUTBOX is not set",
                temporary=False,
                provider=self.name,
            )
        info = count_segments(sms.body)
        line = {
            "to": sms.to,
            "body": sms.body,
            "sender": self.sender_for(sms),
            "segments": info.segments,
            "encoding": info.encoding,
            "tenant": sms.context.get("tenant"),
            "rule": sms.context.get("rule"),
            "order_number": sms.context.get("order_number"),
            "created_at": datetime.now(UTC).isoformat(),
            "reference": sms.reference,
        }
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode()
        try:
            outbox.parent.mkdir(parents=True, exist_ok=True)
            # One write() of an O_APPEND file keeps lines whole across processes.
            with _lock:
                fd = os.open(outbox, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
                try:
                    os.write(fd, data)
                finally:
                    os.close(fd)
        except OSError as exc:
            raise ProviderError(
                FailureReason.PROVIDER_UNAVAILABLE,
                # The reason without the file's path: this text reaches the
                # merchant (test message, message log), server paths never do.
                f"cannot write the sandbox outbox (SMS_SANDBOX_OUTBOX): {exc.strerror or 'error'}",
                temporary=True,
                provider=self.name,
            ) from exc
        return SendResult(
            status=SendStatus.SENT,
            provider_message_id=f"sandbox-{uuid.uuid4().hex}",
            segments=info.segments,
            # The answer is shown to the merchant: where on the server it went is
            # the operator's business (SMS_SANDBOX_OUTBOX), never the page's.
            raw=json.dumps({"sandbox": "written to the outbox file; nothing was sent"}),
        )
