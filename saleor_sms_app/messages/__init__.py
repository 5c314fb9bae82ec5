"""The life of a message: composed from a Saleor event, logged, sent, its outcome recorded.

- :mod:`.composing`: an event → message-log rows (rules × recipients,
  rendering, the reasons a message is not sent), one row per occurrence,
  rule and recipient, never two.
- :mod:`.keys`: the de-duplication keys that make a message unique.
- :mod:`.notices`: one customer text per shipment tracking number and per
  refund, whichever of Saleor's two webhooks for it comes first.
- :mod:`.log`: writing one message-log row, at most once per de-duplication key.
- :mod:`.send_jobs`: the RQ jobs that send logged messages (one, a batch, a retry).
- :mod:`.dispatching`: claim ``queued`` rows → providers with failover →
  outcome, in batches, side by side for slow providers; interrupted sends.
- :mod:`.outcomes`: what the providers answered, written to the log
  (attempts, statuses, opt-outs).
- :mod:`.send_cache`: tenants, configurations and adapters a worker builds
  once rather than per message.

The modules import each other in that direction only (composing → notices →
keys; composing → dispatching → outcomes/send_cache/send_jobs/log); this
package's ``__init__`` imports none of them, so :mod:`saleor_sms_app.provider_checks.balance`
can log and queue its alert texts through :mod:`.log` and :mod:`.send_jobs`
while dispatching asks it for balance checks.
"""
