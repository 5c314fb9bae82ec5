// The Scheduled screen: delayed texts waiting for their time (and what became
// of earlier ones), with a Cancel button for those still waiting.
import { Box, Button, Text } from "@saleor/macaw-ui";
import { useCallback, useEffect, useState } from "react";
import { ApiError, getJson, sendJson } from "../api";
import { notify, openOrder } from "../bridge";
import type { ScheduledPage, ScheduledRun } from "../types";
import { ErrorBanner, Pill, Section, ShopTime, Spinner, controlStyle } from "../ui";

export const RUN_STATE_COLORS: Record<string, string> = {
  pending: "#3b6fd8",
  queued: "#6f8fc9",
  running: "#6f8fc9",
  done: "#2e9b5f",
  closed: "#8a6fd1",
  expired: "#c59a2d",
  cancelled: "#a0a7b4",
};

const FILTERS: [string, string][] = [
  ["pending", "Waiting"],
  ["", "All"],
  ["done", "Sent"],
  ["closed,expired,cancelled", "Not sent"],
];

/** `zone`: the shop's time zone (Settings), the one due times are shown in. */
export function Scheduled({ canConfigure, zone }: { canConfigure: boolean; zone: string }) {
  const [state, setState] = useState("pending");
  const [page, setPage] = useState(1);
  const [data, setData] = useState<ScheduledPage | null>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState<number | null>(null);

  const load = useCallback(async () => {
    try {
      const params = new URLSearchParams({ page: String(page) });
      if (state) params.set("state", state);
      setData(await getJson<ScheduledPage>(`/scheduled?${params}`));
      setError("");
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, [state, page]);

  useEffect(() => {
    void load();
  }, [load]);

  const cancel = async (run: ScheduledRun) => {
    setBusy(run.id);
    try {
      await sendJson("POST", `/scheduled/${run.id}/cancel`, {});
      notify("success", "Scheduled text cancelled", run.kind === "checkout" ? `${run.rule_name ?? "Reminder"} for a checkout` : `${run.rule_name ?? "Rule"} for order #${run.order_number ?? "?"}`);
    } catch (e) {
      notify("error", "Could not cancel", e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(null);
      void load();
    }
  };

  const pages = data ? Math.max(1, Math.ceil(data.total / data.page_size)) : 1;
  return (
    <Section
      title="Scheduled"
      actions={
        <select style={controlStyle} aria-label="Show" value={state} onChange={(e) => { setState(e.target.value); setPage(1); }}>
          {FILTERS.map(([value, label]) => <option key={label} value={value}>{label}</option>)}
        </select>
      }
    >
      <Text as="p" size={2} color="default2" marginBottom={3}>
        Texts of rules with a delay, abandoned-checkout reminders and stock-alert digests wait here until they are due. At that
        time the app fetches the order (or checkout) again and sends only if it still meets the rule's "send only if" conditions
        (a checkout: still there, no order placed from it or by the same email or phone). Each daily send (Campaigns) books its
        next day here too: cancelling that run skips that day only.
      </Text>
      {error && <ErrorBanner message={error} onRetry={() => void load()} />}
      {!data && !error && <Spinner label="Loading scheduled texts…" />}
      {data && (
        <table className="grid" data-testid="scheduled-table">
          <thead>
            <tr><th>Rule</th><th>Order or checkout</th><th>Due</th><th>State</th><th>Why</th><th /></tr>
          </thead>
          <tbody>
            {data.runs.map((run) => (
              <tr key={run.id} data-testid="scheduled-row">
                <td><Text fontWeight="medium">{run.rule_name ?? run.kind}</Text></td>
                <td>
                  {run.kind === "checkout" ? (
                    <span title={run.order_id ?? ""}>Checkout</span>
                  ) : run.order_id ? (
                    <a href="#" onClick={(e) => { e.preventDefault(); openOrder(run.order_id!); }}>#{run.order_number ?? "?"}</a>
                  ) : run.kind === "daily_send" ? (
                    <Text size={2} color="default2">birthdays and anniversaries</Text>
                  ) : "—"}
                </td>
                <td><ShopTime iso={run.due_at} zone={zone} /></td>
                <td><Pill color={RUN_STATE_COLORS[run.state]}>{run.state}</Pill></td>
                <td><Text size={2} color="default2">{run.reason_text ?? ""}</Text></td>
                <td className="actions">
                  {run.state === "pending" && (
                    <Button size="small" variant="error" disabled={!canConfigure || busy === run.id} onClick={() => void cancel(run)}>
                      {busy === run.id ? "Cancelling…" : "Cancel"}
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data && data.runs.length === 0 && (
        <Text color="default2">Nothing here. Give a rule a delay (Rules → Edit → "Wait before sending") to schedule texts.</Text>
      )}
      {data && pages > 1 && (
        <Box display="flex" gap={2} alignItems="center" marginTop={3}>
          <Button size="small" variant="secondary" disabled={page <= 1} onClick={() => setPage(page - 1)}>Previous</Button>
          <Text size={2}>Page {page} of {pages} · {data.total} texts</Text>
          <Button size="small" variant="secondary" disabled={page >= pages} onClick={() => setPage(page + 1)}>Next</Button>
        </Box>
      )}
    </Section>
  );
}
