// The "Send SMS" popup Saleor's order and customer pages open (manifest extensions):
// free text or a rule's template, previewed with this order's (customer's) tokens,
// sent once however often Send is clicked, then the log row's status. It asks the
// API only what its own resource's permission allows (/manual/…), nothing of the
// main page. The customer list's popup is SendToCustomers.
import { Box, Button, Text } from "@saleor/macaw-ui";
import { useEffect, useRef, useState } from "react";
import { ApiError, getJson, sendJson } from "../api";
import { notify } from "../bridge";
import { STATUS_COLORS } from "../format";
import type { PopupStart } from "../types";
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

/** What the popup was opened for: the Dashboard's `orderId`, `customerId` or `customerIds`. */
export type PopupTarget =
  | { kind: "order" | "customer"; id: string }
  | { kind: "customers"; ids: string[] };

/** The target from the popup's URL, or null when it names none. The Dashboard joins the
 * ticked customers with commas (qs's "comma" format, the comma itself encoded); a
 * repeated `customerIds` is read too. */
export function popupTarget(search: string): PopupTarget | null {
  const params = new URLSearchParams(search);
  const orderId = params.get("orderId");
  if (orderId) return { kind: "order", id: orderId };
  const customerId = params.get("customerId");
  if (customerId) return { kind: "customer", id: customerId };
  const ids = params.getAll("customerIds").flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
  if (ids.length) return { kind: "customers", ids: [...new Set(ids)] };
  return null;
}

/** The rules' templates a popup may start from (empty until the API answered). */
export function usePopupStart(kind: PopupTarget["kind"]): { rules: PopupStart["rules"]; error: string } {
  const [rules, setRules] = useState<PopupStart["rules"]>([]);
  const [error, setError] = useState("");
  useEffect(() => {
    getJson<PopupStart>(`/manual/${kind}/start`)
      .then((r) => setRules(r.rules))
      .catch((e: Error) => setError(`The rules could not be loaded: ${e.message}`));
  }, [kind]);
  return { rules, error };
}

/** "Start from" free text or a rule's template, and the text itself (every popup). */
export function PopupText({ rules, text, setText, error, disabled }: {
  rules: PopupStart["rules"];
  text: string;
  setText: (text: string) => void;
  error?: string;
  disabled: boolean;
}) {
  const [ruleId, setRuleId] = useState("");
  const chooseRule = (id: string) => {
    setRuleId(id);
    const rule = rules.find((r) => r.id === id);
    if (rule) setText(rule.template);
  };
  return (
    <>
      <Labeled label="Start from">
        <select style={controlStyle} aria-label="Start from" value={ruleId} disabled={disabled} onChange={(e) => chooseRule(e.target.value)}>
          <option value="">Free text</option>
          {rules.map((r) => (
            <option key={r.id} value={r.id}>Template of “{r.name}”</option>
          ))}
        </select>
      </Labeled>
      <Labeled label="Text" error={error}>
        <textarea aria-label="Text" rows={5} style={{ ...controlStyle, width: "100%", boxSizing: "border-box" }} value={text} disabled={disabled}
          placeholder="Hi {{ customer.first_name }}, …" onChange={(e) => setText(e.target.value)} />
      </Labeled>
    </>
  );
}

export function SendSms({ target }: { target: { kind: "order" | "customer"; id: string } }) {
  const start = usePopupStart(target.kind);
  const rules = start.rules;
  const [text, setText] = useState("");
  const [preview, setPreview] = useState<PreviewAnswer | null>(null);
  const [previewing, setPreviewing] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [sending, setSending] = useState(false);
  const [sent, setSent] = useState<SendAnswer | null>(null);
  const key = useRef(clickKey());

  useEffect(() => {
    if (start.error) setError(start.error);
  }, [start.error]);

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
        const found = await getJson<{ status: string; error_text: string | null }>(`/manual/${target.kind}/messages/${sent.messageId}`);
        setSent({ ...sent, status: found.status, errorText: found.error_text });
      } catch {
        setSent({ ...sent });  // ask again
      }
    }, 1500);
    return () => window.clearTimeout(timer);
  }, [sent, target.kind]);

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
      <PopupText rules={rules} text={text} setText={setText} error={errors.text} disabled={!!sent} />
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
