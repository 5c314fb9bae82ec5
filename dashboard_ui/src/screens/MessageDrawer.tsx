// One message's detail, opened from a row of the log: every provider attempt
// (failover leaves several) and every delivery report, with the providers'
// own answers (secrets already redacted by the app).
import { Box, Button, Text } from "@saleor/macaw-ui";
import { useEffect, useState } from "react";
import { getJson } from "../api";
import { openOrder } from "../bridge";
import { STATUS_COLORS, shortTime } from "../format";
import type { MessageDetail } from "../types";
import { ErrorBanner, Pill, Spinner } from "../ui";

const OUTCOME_COLORS: Record<string, string> = {
  sent: STATUS_COLORS.sent,
  queued: STATUS_COLORS.sent,
  rejected: STATUS_COLORS.failed,
  failed: STATUS_COLORS.failed,
};

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Box display="flex" gap={3} marginBottom={1}>
      <Text size={2} color="default2" style={{ minWidth: 110 }}>{label}</Text>
      <Text size={2}>{children}</Text>
    </Box>
  );
}

function Raw({ summary, text }: { summary: string; text: string | null }) {
  if (!text) return null;
  return (
    <details>
      <summary><Text size={1} color="default2">{summary}</Text></summary>
      <pre className="answer">{text}</pre>
    </details>
  );
}

export function MessageDrawer({ id, onClose }: { id: number; onClose: () => void }) {
  const [detail, setDetail] = useState<MessageDetail | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    let live = true;
    setDetail(null);
    setError("");
    getJson<MessageDetail>(`/messages/${id}`)
      .then((d) => live && setDetail(d))
      .catch((e) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [id]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);

  const m = detail?.message;
  return (
    <>
      <div className="drawer-backdrop" onClick={onClose} />
      <aside className="drawer" role="dialog" aria-label="Message details" data-testid="message-drawer">
        <Box display="flex" justifyContent="space-between" alignItems="center" marginBottom={4}>
          <Text as="h3" size={6} fontWeight="bold">Message {id}</Text>
          <Button variant="secondary" size="small" onClick={onClose}>Close</Button>
        </Box>
        {error && <ErrorBanner message={error} />}
        {!detail && !error && <Spinner label="Loading the message…" />}
        {m && detail && (
          <>
            <Box display="flex" gap={2} alignItems="center" marginBottom={3}>
              <Pill color={STATUS_COLORS[m.status]}>{m.status}</Pill>
              <Text size={2} color="default2">{shortTime(m.created_at)} · {m.event}</Text>
            </Box>
            <Field label="Order">
              {m.order_id ? (
                <a href="#" onClick={(e) => { e.preventDefault(); openOrder(m.order_id!); }}>#{m.order_number}</a>
              ) : (m.order_number ?? "—")}
            </Field>
            <Field label="Rule">{m.rule_name ?? "—"}</Field>
            <Field label="To">
              <span data-testid="drawer-phone">{m.phone_full ?? m.phone}</span> ({m.recipient_type})
            </Field>
            <Field label="Provider">{m.provider_name ? `${m.provider_name} (${m.provider})` : "—"}</Field>
            {m.price && <Field label="Cost">{m.price} {m.currency}</Field>}
            <div className="sms-bubble">{m.body || "—"}</div>
            <Text size={1} color="default2">{m.segments} SMS · {m.encoding || "—"}{m.sender ? ` · from ${m.sender}` : ""}</Text>
            {m.error_text && (
              <Box marginTop={3} data-testid="drawer-reason">
                <Text as="p" size={2} color="critical1">{m.error_label}: {m.error_text}</Text>
                {m.error_hint && <Text as="p" size={2} color="default2">{m.error_hint}</Text>}
              </Box>
            )}
            {!m.error_text && m.error_hint && <Text as="p" size={2} color="default2">{m.error_hint}</Text>}

            <Text as="h4" size={4} fontWeight="bold" marginTop={5} marginBottom={2}>
              Attempts ({detail.attempts.length})
            </Text>
            {detail.attempts.length === 0 && <Text size={2} color="default2">No provider was tried.</Text>}
            <ol className="attempts">
              {detail.attempts.map((a) => (
                <li key={a.id} data-testid="attempt">
                  <Box display="flex" gap={2} alignItems="center" flexWrap="wrap">
                    <Text size={2} fontWeight="medium">{a.provider_name ?? a.provider_id}</Text>
                    <Text size={1} color="default2">{a.provider}</Text>
                    <Pill color={OUTCOME_COLORS[a.outcome]}>{a.outcome}</Pill>
                    <Text size={1} color="default2">
                      {a.created_at ? shortTime(a.created_at) : ""}{a.duration_ms != null ? ` · ${a.duration_ms} ms` : ""}
                    </Text>
                  </Box>
                  {a.error_code && (
                    <Text as="p" size={2} color="critical1">
                      {a.error_label}{a.error_label !== a.error_code ? ` (${a.error_code})` : ""}{a.temporary ? ", temporary" : ""}: {a.error_text}
                    </Text>
                  )}
                  {a.hint && <Text as="p" size={2} color="default2">{a.hint}</Text>}
                  {a.provider_message_id && <Text as="p" size={1} color="default2">Provider's id: {a.provider_message_id}</Text>}
                  <Raw summary="Provider's answer" text={a.raw_response} />
                </li>
              ))}
            </ol>

            <Text as="h4" size={4} fontWeight="bold" marginTop={5} marginBottom={2}>
              Delivery reports ({detail.delivery_reports.length})
            </Text>
            {detail.delivery_reports.length === 0 && <Text size={2} color="default2">None received.</Text>}
            <ol className="attempts">
              {detail.delivery_reports.map((r) => (
                <li key={r.id} data-testid="delivery-report">
                  <Box display="flex" gap={2} alignItems="center">
                    <Pill color={STATUS_COLORS[r.status === "delivered" ? "delivered" : "failed"]}>{r.status}</Pill>
                    <Text size={1} color="default2">
                      {r.received_at ? shortTime(r.received_at) : ""} · {r.provider}{r.provider_code ? ` · code ${r.provider_code}` : ""}
                    </Text>
                  </Box>
                  <Raw summary="Report as received" text={r.raw} />
                </li>
              ))}
            </ol>
          </>
        )}
      </aside>
    </>
  );
}
