// The "Send SMS" popup Saleor's order and customer pages open (manifest extensions):
// free text or a rule's template, previewed with this order's (customer's) tokens,
// sent once however often Send is clicked, then the log row's status.
import { Box, Button, Text } from "@saleor/macaw-ui";
import { useEffect, useRef, useState } from "react";
import { ApiError, getJson, sendJson } from "../api";
import { notify } from "../bridge";
import { STATUS_COLORS } from "../format";
import type { AppConfig, MessageDetail } from "../types";
import { ErrorBanner, FieldError, Labeled, Pill, Spinner, controlStyle } from "../ui";
import { SegmentMeter } from "./Rules";

interface PreviewAnswer {
  text: string;
  problems: string[];
}

interface SendAnswer {
  messageId: number;
  status: string;
  errorText: string | null;
}

/** Statuses after which the popup stops asking: the provider has answered. */
const SETTLED = ["sent", "delivered", "failed", "skipped", "unknown"];

/** A random key made when the popup opens: a second click of Send names the same message. */
function clickKey(): string {
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return "popup-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What the popup was opened for: the Dashboard's `orderId` or `customerId`. */
export interface PopupTarget {
  kind: "order" | "customer";
  id: string;
}

/** The target from the popup's URL, or null when it names neither. */
export function popupTarget(search: string): PopupTarget | null {
  const params = new URLSearchParams(search);
  const orderId = params.get("orderId");
  if (orderId) return { kind: "order", id: orderId };
  const customerId = params.get("customerId");
  if (customerId) return { kind: "customer", id: customerId };
  return null;
}

export function SendSms({ target }: { target: PopupTarget }) {
  const [rules, setRules] = useState<AppConfig["rules"]>([]);
  const [ruleId, setRuleId] = useState("");
  const [text, setText] = useState("");
  const [preview, setPreview] = useState<PreviewAnswer | null>(null);
  const [previewing, setPreviewing] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [sending, setSending] = useState(false);
  const [sent, setSent] = useState<SendAnswer | null>(null);
  const key = useRef(clickKey());

  useEffect(() => {
    getJson<{ config: AppConfig }>("/config")
      .then((r) => setRules(r.config.rules.filter((rule) => rule.template.trim())))
      .catch((e: Error) => setError(`The rules could not be loaded: ${e.message}`));
  }, []);

  useEffect(() => {
    if (!text.trim()) {
      setPreview(null);
      return;
    }
    const timer = window.setTimeout(async () => {
      setPreviewing(true);
      try {
        setPreview(
          target.kind === "order"
            ? await sendJson<PreviewAnswer>("POST", "/preview", { template: text, order_id: target.id })
            : await sendJson<PreviewAnswer>("POST", "/manual/customer/preview", { text, customer_id: target.id }),
        );
        setError("");
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e));
      } finally {
        setPreviewing(false);
      }
    }, 250);
    return () => window.clearTimeout(timer);
  }, [text, target.kind, target.id]);

  // After sending: the log row's status until the provider has answered.
  useEffect(() => {
    if (!sent || SETTLED.includes(sent.status)) return;
    const timer = window.setTimeout(async () => {
      try {
        const detail = await getJson<MessageDetail>(`/messages/${sent.messageId}`);
        setSent({ ...sent, status: detail.message.status, errorText: detail.message.error_text ?? null });
      } catch {
        setSent({ ...sent });  // ask again
      }
    }, 1500);
    return () => window.clearTimeout(timer);
  }, [sent]);

  const chooseRule = (id: string) => {
    setRuleId(id);
    const rule = rules.find((r) => r.id === id);
    if (rule) setText(rule.template);
  };

  const send = async () => {
    setSending(true);
    setErrors({});
    setError("");
    try {
      const where = target.kind === "order" ? { order_id: target.id } : { customer_id: target.id };
      const answer = await sendJson<SendAnswer>("POST", `/manual/${target.kind}`, { ...where, text, idempotency_key: key.current });
      setSent(answer);
      notify(answer.status === "queued" ? "success" : "warning", "SMS", answer.status === "queued" ? "The text is on its way." : answer.errorText ?? answer.status);
    } catch (e) {
      if (e instanceof ApiError) {
        setErrors(e.details);
        setError(e.details.text ? "" : e.message);
      } else {
        setError(String(e));
      }
    } finally {
      setSending(false);
    }
  };

  const problems = preview?.problems ?? [];
  return (
    <Box display="flex" flexDirection="column" gap={4} data-testid="send-sms" style={{ maxWidth: 640 }}>
      <Text as="h2" size={7} fontWeight="bold">{target.kind === "order" ? "Send SMS to the order's customer" : "Send SMS to the customer"}</Text>
      {error && <ErrorBanner message={error} />}
      <Labeled label="Start from">
        <select style={controlStyle} aria-label="Start from" value={ruleId} disabled={!!sent} onChange={(e) => chooseRule(e.target.value)}>
          <option value="">Free text</option>
          {rules.map((r) => (
            <option key={r.id} value={r.id}>Template of “{r.name}”</option>
          ))}
        </select>
      </Labeled>
      <Labeled label="Text" error={errors.text}>
        <textarea aria-label="Text" rows={5} style={{ ...controlStyle, width: "100%", boxSizing: "border-box" }} value={text} disabled={!!sent}
          placeholder="Hi {{ customer.first_name }}, …" onChange={(e) => setText(e.target.value)} />
      </Labeled>
      <Box>
        <Text size={2} fontWeight="bold">{target.kind === "order" ? "Preview with this order" : "Preview for this customer"}</Text>
        {previewing && <Spinner label="Rendering…" />}
        {problems.map((p) => <FieldError key={p} message={p} />)}
        <div className="sms-bubble" data-testid="send-preview">{preview?.text ?? ""}</div>
        <SegmentMeter text={preview?.text ?? ""} />
      </Box>
      {errors.order_id && <FieldError message={errors.order_id} />}
      {errors.customer_id && <FieldError message={errors.customer_id} />}
      <Box display="flex" gap={3} alignItems="center">
        <Button variant="primary" onClick={() => void send()} disabled={sending || !!sent || !text.trim() || problems.length > 0}>
          {sending ? "Sending…" : "Send"}
        </Button>
        {sent && (
          <Box display="flex" gap={2} alignItems="center" data-testid="send-status">
            <Pill color={STATUS_COLORS[sent.status]}>{sent.status}</Pill>
            {sent.errorText && <Text size={2} color="default2">{sent.errorText}</Text>}
          </Box>
        )}
      </Box>
    </Box>
  );
}
