import { Box, Button, Text } from "@saleor/macaw-ui";
import { useCallback, useEffect, useState } from "react";
import { getJson, request } from "../api";
import { notify, openOrder } from "../bridge";
import { STATUS_COLORS, chartDays, costText, isoDay, shortTime, type ChartDay } from "../format";
import type { DayCount, LogPage, Metadata } from "../types";
import { ErrorBanner, Pill, Section, Spinner, controlStyle } from "../ui";
import { MessageDrawer } from "./MessageDrawer";
import { PersonalData } from "./PersonalData";

interface Filters {
  from: string;
  to: string;
  status: string;
  event: string;
  provider: string;
  q: string;
}

// The server sorts by these (each has its own index); the text is not sortable.
const COLUMNS: [string, string][] = [
  ["created_at", "Time"],
  ["event", "Event"],
  ["order_number", "Order"],
  ["recipient_type", "Direction"],
  ["phone", "Phone"],
  ["body", "Text"],
  ["provider", "Provider"],
  ["status", "Status"],
  ["error_code", "Reason"],
];

function query(filters: Filters, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filters, ...extra })) if (v) params.set(k, v);
  return params.toString();
}

function Chart({ days }: { days: ChartDay[] }) {
  const max = Math.max(1, ...days.map((d) => d.total));
  const width = 100 / Math.max(days.length, 1);
  const totalCost: Record<string, number> = {};
  for (const d of days) for (const [c, v] of Object.entries(d.cost)) totalCost[c] = (totalCost[c] ?? 0) + v;
  return (
    <Box marginBottom={4} data-testid="chart">
      <Box display="flex" justifyContent="space-between" marginBottom={1}>
        <Text size={2} color="default2">Messages per day ({days[0]?.day} – {days[days.length - 1]?.day})</Text>
        <Text size={2} color="default2">{costText(totalCost) ? `Cost: ${costText(totalCost)}` : "Cost not reported"}</Text>
      </Box>
      <svg viewBox="0 0 100 30" preserveAspectRatio="none" className="chart" role="img" aria-label="Messages per day by status">
        {days.map((d, i) => {
          let y = 30;
          return (
            <g key={d.day}>
              <title>{`${d.day}: ${d.total} messages${d.parts.map((p) => `, ${p.count} ${p.status}`).join("")}${costText(d.cost) ? ` · ${costText(d.cost)}` : ""}`}</title>
              {d.parts.map((p) => {
                const h = (p.count / max) * 28;
                y -= h;
                return <rect key={p.status} x={i * width + width * 0.15} width={width * 0.7} y={y} height={h} fill={STATUS_COLORS[p.status] ?? "#888"} />;
              })}
            </g>
          );
        })}
      </svg>
      <Box display="flex" gap={3} marginTop={1} flexWrap="wrap">
        {Object.entries(STATUS_COLORS).map(([status, color]) => (
          <Box key={status} display="flex" gap={1} alignItems="center">
            <span className="swatch" style={{ background: color }} />
            <Text size={1} color="default2">{status}</Text>
          </Box>
        ))}
      </Box>
    </Box>
  );
}

export function MessageLog({ metadata }: { metadata: Metadata }) {
  const today = new Date();
  const monthAgo = new Date(today.getTime() - 29 * 86400000);
  const [filters, setFilters] = useState<Filters>({ from: isoDay(monthAgo), to: isoDay(today), status: "", event: "", provider: "", q: "" });
  const [sort, setSort] = useState("-created_at");
  const [page, setPage] = useState(1);
  // Keyset pages: cursors[n] is where page n + 1 starts ("" for the first).
  const [cursors, setCursors] = useState<string[]>([""]);
  const [data, setData] = useState<LogPage | null>(null);
  const [days, setDays] = useState<ChartDay[]>([]);
  const [loading, setLoading] = useState(false);
  const [exporting, setExporting] = useState<{ rows: number; total: number; abort: AbortController } | null>(null);
  const [error, setError] = useState("");
  const [openId, setOpenId] = useState<number | null>(null);
  const closeDrawer = useCallback(() => setOpenId(null), []);

  const load = useCallback(async () => {
    setLoading(true);
    setError("");
    try {
      const [rows, stats] = await Promise.all([
        getJson<LogPage>(`/messages?${query(filters, { sort, cursor: cursors[page - 1] ?? "", per_page: "25" })}`),
        getJson<{ days: DayCount[] }>(`/messages/stats?${query(filters)}`),
      ]);
      setData(rows);
      const from = filters.from || stats.days[0]?.day || isoDay(monthAgo);
      setDays(chartDays(stats.days, from, filters.to || isoDay(today)));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setLoading(false);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [filters, sort, page, cursors]);

  useEffect(() => {
    const timer = window.setTimeout(load, 200);
    return () => window.clearTimeout(timer);
  }, [load]);

  const firstPage = () => {
    setPage(1);
    setCursors([""]);
  };
  const set = (patch: Partial<Filters>) => {
    setFilters({ ...filters, ...patch });
    firstPage();
  };
  const sortBy = (column: string) => {
    setSort(sort === column ? "-" + column : column);
    firstPage();
  };
  const nextPage = () => {
    if (!data?.next_cursor) return;
    setCursors([...cursors.slice(0, page), data.next_cursor]);
    setPage(page + 1);
  };

  // The CSV streams: count its lines as they arrive for the progress, and let
  // the merchant stop a long one (the server stops reading when the socket closes).
  const exportCsv = async () => {
    const abort = new AbortController();
    setExporting({ rows: 0, total: 0, abort });
    try {
      const response = await request(`/messages/export.csv?${query(filters, { sort })}`, { signal: abort.signal });
      const total = Number(response.headers.get("X-Message-Count") ?? "0");
      const chunks: Uint8Array[] = [];
      let lines = 0;
      const reader = response.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        for (const byte of value) if (byte === 10) lines++;
        setExporting({ rows: Math.min(Math.max(lines - 1, 0), total || Infinity), total, abort });
      }
      const url = URL.createObjectURL(new Blob(chunks, { type: "text/csv" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `sms-messages-${filters.from || "all"}-${filters.to || "now"}.csv`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) {
      if (abort.signal.aborted) {
        notify("info", "Export cancelled", "Nothing was downloaded.");
      } else {
        const message = e instanceof Error ? e.message : String(e);
        setError(message);
        notify("error", "Export failed", message);
      }
    } finally {
      setExporting(null);
    }
  };

  return (
    <Section
      title="Message log"
      actions={
        exporting ? (
          <Box display="flex" gap={2} alignItems="center" data-testid="export-progress">
            <progress max={exporting.total || undefined} value={exporting.rows} aria-label="Export progress" />
            <Text size={2} color="default2">
              {exporting.rows.toLocaleString()}{exporting.total ? ` of ${exporting.total.toLocaleString()}` : ""} rows
            </Text>
            <Button variant="secondary" onClick={() => exporting.abort.abort()} data-testid="export-cancel">Cancel</Button>
          </Box>
        ) : (
          <Button variant="secondary" onClick={exportCsv} data-testid="export-csv">Export CSV</Button>
        )
      }
    >
      <Box display="flex" gap={2} flexWrap="wrap" marginBottom={4} alignItems="flex-end" className="filters">
        <label>From<input style={controlStyle} type="date" name="from" value={filters.from} onChange={(e) => set({ from: e.target.value })} /></label>
        <label>To<input style={controlStyle} type="date" name="to" value={filters.to} onChange={(e) => set({ to: e.target.value })} /></label>
        <label>Status
          <select style={controlStyle} name="status" value={filters.status} onChange={(e) => set({ status: e.target.value })}>
            <option value="">any</option>
            {metadata.message_statuses.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>Event
          <select style={controlStyle} name="event" value={filters.event} onChange={(e) => set({ event: e.target.value })}>
            <option value="">any</option>
            {[...metadata.events, ...metadata.log_events].map((ev) => <option key={ev.name} value={ev.name}>{ev.label}</option>)}
          </select>
        </label>
        <label>Provider
          <select style={controlStyle} name="provider" value={filters.provider} onChange={(e) => set({ provider: e.target.value })}>
            <option value="">any</option>
            {metadata.providers.map((p) => <option key={p.type} value={p.type}>{p.type}</option>)}
          </select>
        </label>
        <label style={{ flexGrow: 1 }}>Phone or order number
          <input style={{ ...controlStyle, width: "100%", boxSizing: "border-box" }} type="search" name="q" placeholder="+48 601… or #1042" value={filters.q} onChange={(e) => set({ q: e.target.value })} />
        </label>
      </Box>
      <PersonalData onErased={load} />
      {error && <ErrorBanner message={error} onRetry={load} />}
      {days.length > 0 && <Chart days={days} />}
      {loading && <Spinner label="Loading messages…" />}
      <table className="grid log">
        <thead>
          <tr>
            {COLUMNS.map(([key, label]) => (
              <th key={key}>
                {key === "body" ? label : (
                  <button type="button" className="sort" onClick={() => sortBy(key)} aria-label={`Sort by ${label}`}>
                    {label} {sort === key ? "▲" : sort === "-" + key ? "▼" : ""}
                  </button>
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data?.rows.map((row) => (
            <tr key={row.id} data-testid="log-row" onClick={() => setOpenId(row.id)}>
              <td className="nowrap">
                <button type="button" className="sort" aria-label={`Details of message ${row.id}`} onClick={(e) => { e.stopPropagation(); setOpenId(row.id); }}>
                  {shortTime(row.created_at)}
                </button>
              </td>
              <td>
                {row.event}
                {/* A text sent by hand from Saleor's pages: who sent it ("Sent by hand by …"). */}
                {row.event === "MANUAL" && row.rule_name && <Text as="p" size={1} color="default2" data-testid="sent-by">{row.rule_name}</Text>}
              </td>
              <td>
                {row.order_id ? (
                  <a href="#" onClick={(e) => { e.preventDefault(); e.stopPropagation(); openOrder(row.order_id!); }}>#{row.order_number}</a>
                ) : (row.order_number ?? "—")}
              </td>
              <td>
                {row.direction === "inbound" ? (
                  <span className="direction inbound" title="A customer texted the shop" data-testid="direction">← from customer</span>
                ) : (
                  <span className="direction" data-testid="direction">→ {row.recipient_type}</span>
                )}
              </td>
              <td className="nowrap">{row.phone}</td>
              <td className="body" title={row.body}>{row.body}</td>
              <td title={row.provider ?? undefined}>
                {row.provider_name ?? row.provider ?? "—"}
                {row.attempt_count > 1 && <Text as="p" size={1} color="default2">{row.attempt_count} attempts</Text>}
              </td>
              <td>
                <Pill color={STATUS_COLORS[row.status]}>{row.status}</Pill>
                {row.status_changed_at && <Text as="p" size={1} color="default2">{row.delivery_code ?? ""} {shortTime(row.status_changed_at)}</Text>}
                {row.price && <Text as="p" size={1} color="default2">{row.price} {row.currency}</Text>}
                {row.clicks > 0 && <Text as="p" size={1} color="default2" data-testid="clicks">{row.clicks} {row.clicks === 1 ? "click" : "clicks"}</Text>}
              </td>
              <td title={[row.error_text, row.error_hint].filter(Boolean).join("\n") || undefined} data-testid="log-reason">
                {row.error_label && <span className="reason"><Text size={2} color="critical1">{row.error_label}</Text></span>}
                {!row.error_label && row.error_hint && <span className="reason"><Text size={1} color="default2">{row.error_hint}</Text></span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {openId !== null && <MessageDrawer id={openId} onClose={closeDrawer} />}
      {data && data.rows.length === 0 && <Text as="p" color="default2" marginTop={3}>No messages match.</Text>}
      {data && (
        <Box display="flex" justifyContent="space-between" alignItems="center" marginTop={3}>
          <Text size={2} color="default2" data-testid="log-total">
            {data.total.toLocaleString("en")}{data.total_capped ? "+" : ""} messages
          </Text>
          <Box display="flex" gap={2} alignItems="center">
            <Button size="small" variant="secondary" disabled={page <= 1} onClick={() => setPage(page - 1)}>Previous</Button>
            <Text size={2}>Page {page}{data.total_capped ? "" : ` of ${data.pages}`}</Text>
            <Button size="small" variant="secondary" disabled={!data.next_cursor} onClick={nextPage}>Next</Button>
          </Box>
        </Box>
      )}
    </Section>
  );
}
