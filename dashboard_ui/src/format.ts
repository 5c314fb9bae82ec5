// Small pure helpers shared by the screens (and tested in format.test.ts).
import type { DayCount } from "./types";

/** Field path from the API (rules.0.template) → the message, for one editor's prefix. */
export function fieldErrors(details: Record<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, message] of Object.entries(details)) {
    if (path === prefix || path.startsWith(prefix + ".")) out[path.slice(prefix.length + 1)] = message;
  }
  return out;
}

export const STATUS_COLORS: Record<string, string> = {
  delivered: "#2e9b5f",
  sent: "#3b6fd8",
  queued: "#a0a7b4",
  sending: "#6f8fc9",
  unknown: "#c59a2d",
  skipped: "#8a6fd1",
  failed: "#d6453d",
};

export interface ChartDay {
  day: string;
  total: number;
  parts: { status: string; count: number }[];
  cost: Record<string, number>;
}

/** The API's (day, status) rows as one bar per day, every day of the range present. */
export function chartDays(rows: DayCount[], from: string, to: string): ChartDay[] {
  const days: ChartDay[] = [];
  const byDay = new Map<string, ChartDay>();
  for (let d = new Date(from + "T00:00:00Z"); d <= new Date(to + "T00:00:00Z"); d.setUTCDate(d.getUTCDate() + 1)) {
    const day = d.toISOString().slice(0, 10);
    const entry: ChartDay = { day, total: 0, parts: [], cost: {} };
    days.push(entry);
    byDay.set(day, entry);
  }
  for (const row of rows) {
    const entry = byDay.get(row.day);
    if (!entry) continue;
    entry.total += row.count;
    entry.parts.push({ status: row.status, count: row.count });
    for (const [currency, amount] of Object.entries(row.cost)) {
      entry.cost[currency] = (entry.cost[currency] ?? 0) + Number(amount);
    }
  }
  const order = Object.keys(STATUS_COLORS);
  for (const entry of days) entry.parts.sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status));
  return days;
}

export function costText(cost: Record<string, number>): string {
  return Object.entries(cost)
    .map(([currency, amount]) => `${amount.toFixed(2)} ${currency}`)
    .join(" + ");
}

export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function shortTime(iso: string): string {
  const d = new Date(iso);
  return d.toISOString().slice(0, 16).replace("T", " ");
}
