"""Send through a tenant's providers in order, failing over only when it is safe.

A send moves on to the next provider only when the current one surely did not
take the message and the problem is not the recipient's (see
:attr:`ProviderError.should_fail_over`): a refused connection, DNS failure,
connect timeout, 5xx, authentication failure or empty balance does; an invalid
or opted-out number does not, since every provider would refuse it and the
merchant pays for nothing; nor does a read timeout or a dropped connection after
the request left (:attr:`ProviderError.outcome_unknown`): the provider may have
the message, and a second provider would text the customer twice.
Every try is returned so the message log can show each attempt.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.providers import build_provider, provider_class
from saleor_sms_app.providers.base import ProviderContext, SmsProvider
from saleor_sms_app.providers.models import (
    FailureReason,
    OutboundSms,
    ProviderConfigError,
    ProviderError,
    SendResult,
)


@dataclass(frozen=True)
class Attempt:
    provider: ProviderConfig
    result: SendResult | None
    error: ProviderError | None
    duration_ms: int


@dataclass
class Outcome:
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def result(self) -> SendResult | None:
        last = self.attempts[-1] if self.attempts else None
        return last.result if last else None

    @property
    def provider(self) -> ProviderConfig | None:
        return self.attempts[-1].provider if self.attempts else None

    @property
    def error(self) -> ProviderError | None:
        """The last error when nothing was sent."""
        last = self.attempts[-1] if self.attempts else None
        return last.error if last and last.result is None else None


def send_with_failover(
    providers: Sequence[ProviderConfig],
    sms: OutboundSms,
    context: ProviderContext,
    *,
    build: Callable[[ProviderConfig, ProviderContext], SmsProvider] = build_provider,
    callback_url_for: Callable[[ProviderConfig], str | None] | None = None,
) -> Outcome:
    """Try each provider in order until one accepts ``sms``.

    ``callback_url_for`` gives each provider its own delivery-report URL (the
    URL names the provider configuration, so a report is matched to the
    provider that really sent the message).
    """
    outcome = Outcome()
    for config in providers:
        started = time.monotonic()
        try:
            adapter = build(config, context)
            this_sms = sms
            if callback_url_for is not None:
                this_sms = replace(sms, status_callback_url=callback_url_for(config))
            result = adapter.send(this_sms)
        except ProviderConfigError as exc:
            outcome.attempts.append(Attempt(config, None, _config_error(config, exc), _ms(started)))
            continue
        except ProviderError as exc:
            outcome.attempts.append(Attempt(config, None, exc, _ms(started)))
            if exc.should_fail_over:
                continue
            return outcome
        outcome.attempts.append(Attempt(config, result, None, _ms(started)))
        return outcome
    return outcome


def _config_error(config: ProviderConfig, exc: ProviderConfigError) -> ProviderError:
    """A provider that cannot even be built: missing credentials read as an
    authentication problem, anything else as a settings problem; both move on
    to the next provider, since this one surely sent nothing."""
    try:
        secret_names = {f.name for f in provider_class(config.type).fields if f.secret}
    except ProviderConfigError:
        secret_names = set()
    missing_secret = bool(secret_names & set(exc.fields))
    return ProviderError(
        FailureReason.AUTHENTICATION if missing_secret else FailureReason.OTHER,
        str(exc),
        temporary=False,
        provider=config.type,
        provider_code="configuration",
        hint="Complete this provider's settings in the app's Providers screen ("
        + ", ".join(sorted(exc.fields) or ["type"])
        + ").",
    )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
