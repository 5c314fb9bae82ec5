"""One customer text per shipment tracking number and per refund, whichever webhook brings it.

Saleor reports one happening with two webhooks in two places:

* a fulfilment created with a tracking number sends FULFILLMENT_CREATED and
  FULFILLMENT_TRACKING_NUMBER_UPDATED (``create_fulfillments`` in Saleor's
  ``order/actions.py``), in either order, possibly to two workers at once; a
  number added or changed later sends only the second;
* a full refund sends ORDER_REFUNDED and ORDER_FULLY_REFUNDED.

For the customer each happening is one *notice*: the message-log rows of both
events' rules share one de-duplication key (``shipment_key``, ``refund_key``
in :mod:`saleor_sms_app.messages.keys`), so the database's unique key lets exactly one of them be
logged, and so sent, however the webhooks arrive. Staff and fixed numbers keep
the usual per-rule keys.

Which text the customer gets for a fulfilment created with a number is the
shipped text (it carries the number): when the tracking webhook is handled
first and no shipped text was logged for the fulfilment yet, it logs the
shipped rule's text itself (:meth:`Notices.stand_in`) and holds it back for
:data:`SHIPPED_TEXT_WAIT_SECONDS`. FULFILLMENT_CREATED, arriving meanwhile,
finds that row under the shared key and sends it at once, or marks it skipped
when staff unticked "notify customer"; if it never comes (a fulfilment made
before the app was installed), the held text goes out when the wait ends.
Once the shipped text is logged, a tracking webhook texts the tracking-number
rule's text under the key of its number: a new number is one more text, the
same number none (the log says why).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from saleor_sms_app.automations.rules import Match, Recipient, matching_rules
from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.messages.keys import (
    message_dedupe_key,
    refund_key,
    shipment_key,
    shipment_prefix,
)
from saleor_sms_app.models import Message, MessageStatus, RecipientType, utcnow

FULFILLMENT_CREATED = "FULFILLMENT_CREATED"
TRACKING_UPDATED = "FULFILLMENT_TRACKING_NUMBER_UPDATED"
REFUND_EVENTS = ("ORDER_REFUNDED", "ORDER_FULLY_REFUNDED")

#: How long a shipped text logged from the tracking webhook waits for
#: FULFILLMENT_CREATED (which may say "do not notify the customer") before it is
#: sent anyway. Saleor sends both webhooks within moments of each other.
SHIPPED_TEXT_WAIT_SECONDS = 60

#: Skip code of a customer Saleor was told not to notify (see automations/rules.py).
NOT_NOTIFIED = "customer_not_notified"


def tracking_number_of(order: Mapping[str, Any], fulfillment_id: str) -> str:
    """The fetched fulfilment's own tracking number ("" if it has none or is gone)."""
    for fulfillment in order.get("fulfillments") or []:
        if isinstance(fulfillment, Mapping) and fulfillment.get("id") == fulfillment_id:
            return str(fulfillment.get("trackingNumber") or "").strip()
    return ""


def refunded_total(payload: Mapping[str, Any]) -> str | None:
    """``order.totalRefunded`` as the webhook carried it ("12.5 USD"), or None.

    Both webhooks of one full refund carry the same total; two partial refunds
    carry different ones. Subscriptions registered before the field was asked
    for do not carry it, and those webhooks keep their per-event keys.
    """
    order = payload.get("order")
    total = order.get("totalRefunded") if isinstance(order, Mapping) else None
    if not isinstance(total, Mapping):
        return None
    try:
        amount = Decimal(str(total.get("amount")))
    except InvalidOperation:
        return None
    return f"{amount.normalize():f} {total.get('currency') or ''}".strip()


class Notices:
    """The shared keys of one webhook's customer messages (see the module's docstring)."""

    def __init__(
        self,
        session: Session,
        *,
        tenant_id: int,
        event: str,
        payload: Mapping[str, Any],
        order: Mapping[str, Any],
        fulfillment_id: str | None,
        config: AppConfig,
    ) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.event = event
        self.order = order
        self.config = config
        self.fulfillment_id = fulfillment_id or ""
        self.number = (
            tracking_number_of(order, self.fulfillment_id)
            if event in (FULFILLMENT_CREATED, TRACKING_UPDATED) and self.fulfillment_id
            else ""
        )
        self.refunded = refunded_total(payload) if event in REFUND_EVENTS else None
        self._shipped_logged: bool | None = None

    def number_removed(self) -> bool:
        """A tracking webhook for a fulfilment that has no number now: nothing to text."""
        return self.event == TRACKING_UPDATED and not self.number

    # ------------------------------------------------------------ which key

    def shared_key(self, recipient: Recipient, row: Mapping[str, Any], own_key: str) -> str | None:
        """The key this customer message shares with the other event's, or None for its own.

        Only a message that goes out claims the notice (a switched-off shipped
        rule must not stop the tracking text), and so does a shipped text
        skipped because staff unticked "notify customer" (that shipment's
        number must not reach the customer through the tracking rule either).
        """
        if recipient.type != RecipientType.CUSTOMER:
            return None
        queued = row.get("status") == MessageStatus.QUEUED.value
        if self.number:
            if not (queued or row.get("error_code") == NOT_NOTIFIED):
                return None
            if self.event == FULFILLMENT_CREATED and self._exists(own_key):
                return None  # logged under its own key before notices were shared
            return shipment_key(self.fulfillment_id, self.number, recipient)
        if self.refunded is not None and queued:
            return refund_key(str(self.order.get("id") or ""), self.refunded, recipient)
        return None

    def _exists(self, key: str) -> bool:
        found = self.session.scalar(
            select(Message.id).where(Message.tenant_id == self.tenant_id, Message.dedupe_key == key)
        )
        return found is not None

    # ------------------------------------------------------------ tracking first

    def stand_in(self, match: Match, recipient: Recipient) -> Match | None:
        """The shipped rule to text instead of the tracking rule, when no shipped text exists yet.

        Only for the customer of a tracking webhook whose fulfilment has a
        number and whose shipped text has not been logged: then the
        fulfilment was probably created with this number and its
        FULFILLMENT_CREATED is on its way (or was never sent to this app).
        """
        if (
            self.event != TRACKING_UPDATED
            or recipient.type != RecipientType.CUSTOMER
            or recipient.skip_code
            or not self.number
            or self.shipped_text_logged()
        ):
            return None
        for shipped in matching_rules(self.config, FULFILLMENT_CREATED, self.order):
            for person in shipped.recipients:
                if person.type == RecipientType.CUSTOMER and not person.skip_code:
                    return Match(shipped.rule, (person,))
        return None

    def shipped_text_logged(self) -> bool:
        """Whether any customer row of FULFILLMENT_CREATED exists for this fulfilment.

        Found among the order's rows (indexed by order number): under a shared
        key it starts with the fulfilment's ``shipment_prefix``, under a
        rule's own key it is the key FULFILLMENT_CREATED gives that rule.
        """
        if self._shipped_logged is None:
            occurrence = f"{FULFILLMENT_CREATED}:{self.fulfillment_id}"
            own = {
                message_dedupe_key(occurrence, rule.id, Recipient(RecipientType.CUSTOMER))
                for rule in self.config.rules
                if rule.event == FULFILLMENT_CREATED
            }
            prefix = shipment_prefix(self.fulfillment_id)
            keys = self.session.scalars(
                select(Message.dedupe_key).where(
                    Message.tenant_id == self.tenant_id,
                    Message.order_number == (str(self.order.get("number") or "") or None),
                    Message.event == FULFILLMENT_CREATED,
                    Message.recipient_type == RecipientType.CUSTOMER.value,
                )
            )
            self._shipped_logged = any(k in own or k.startswith(prefix) for k in keys)
        return self._shipped_logged

    # ------------------------------------------------------------ on a conflict

    def skip_held(self, row: Mapping[str, Any], existing: Message) -> bool:
        """Skip the held shipped text when this FULFILLMENT_CREATED says not to notify.

        True when ``existing`` was that text and is now ``skipped`` (a
        conditional update: a text already sent stays sent).
        """
        if row.get("error_code") != NOT_NOTIFIED or existing.status != MessageStatus.QUEUED.value:
            return False
        self.session.execute(
            update(Message)
            .where(Message.id == existing.id, Message.status == MessageStatus.QUEUED.value)
            .values(
                status=MessageStatus.SKIPPED.value,
                error_code=NOT_NOTIFIED,
                error_text=row.get("error_text"),
                updated_at=utcnow(),
            )
        )
        return True

    def already_texted(self, row: Mapping[str, Any], existing: Message) -> dict[str, Any] | None:
        """The skipped row that tells the merchant why the tracking rule sent nothing.

        For a tracking webhook whose number the shipped text (``existing``)
        already carries; logged under the tracking rule's own key. Also what a
        redelivered tracking webhook logs when it meets the shipped text it
        holds back itself, which it must not send before the wait.
        """
        if self.event != TRACKING_UPDATED or existing.event != FULFILLMENT_CREATED:
            return None
        return {
            "status": MessageStatus.SKIPPED.value,
            "error_code": "tracking_number_already_texted",
            "error_text": (
                f"The shipped text ({existing.rule_name or 'a rule'}, {existing.status}) "
                f"already covers tracking number {self.number}"
            ),
            "error_hint": None,
            "phone": row.get("phone") or "",
            "body": "",
        }
