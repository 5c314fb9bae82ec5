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
  received: "#1f8a8a",
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

/** "2026-11-30 05:30": a moment in UTC, to the minute. */
export function shortTime(iso: string): string {
  const d = new Date(iso);
  return d.toISOString().slice(0, 16).replace("T", " ");
}

/**
 * A moment as the merchant reads it: in the shop's time zone (Settings), the zone named
 * ("2026-11-30 11:00 Asia/Kolkata"), because the daily-send hour and the campaign's "At"
 * are typed in that zone; `utc` ("2026-11-30 05:30 UTC") for a title on hover. A zone
 * this browser does not know shows UTC, named so, rather than a wrong local time.
 */
export function shopTime(iso: string, zone: string): { text: string; utc: string } {
  const utc = `${shortTime(iso)} UTC`;
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).formatToParts(new Date(iso));
  } catch {
    return { text: utc, utc };
  }
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  return { text: `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")} ${zone}`, utc };
}

/** Whether two plain values (a draft and what is saved) hold the same data. */
export const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const hasIds = (v: unknown): v is { id: string }[] =>
  Array.isArray(v) && v.every((item) => isRecord(item) && typeof item.id === "string");

/**
 * Puts the edits made on `base` onto `theirs` (what someone else saved since):
 * a value changed here wins, a value left alone takes theirs. Lists of items
 * with ids (rules, providers) merge item by item — added, changed and removed
 * items carry over, theirs stay — and objects field by field; any other value
 * (a list of numbers, a text) is one value.
 */
export function rebase<T>(base: T, mine: T, theirs: T): T {
  if (same(mine, base)) return theirs;
  if (hasIds(base) && hasIds(mine) && hasIds(theirs)) {
    const baseById = new Map(base.map((item) => [item.id, item]));
    const mineById = new Map(mine.map((item) => [item.id, item]));
    const merged: { id: string }[] = [];
    for (const item of theirs) {
      const before = baseById.get(item.id);
      const now = mineById.get(item.id);
      if (before && !now) continue; // removed here
      merged.push(before && now ? rebase(before, now, item) : item);
    }
    const kept = new Set(merged.map((item) => item.id));
    for (const item of mine) {
      // Added here, or changed here while someone else removed it: keep it.
      if (!kept.has(item.id) && !(baseById.has(item.id) && same(baseById.get(item.id), item))) merged.push(item);
    }
    return merged as T;
  }
  if (isRecord(base) && isRecord(mine) && isRecord(theirs)) {
    const merged: Record<string, unknown> = { ...theirs };
    for (const key of Object.keys(mine)) merged[key] = rebase(base[key], mine[key], theirs[key]);
    return merged as T;
  }
  return mine;
}

/**
 * A provider's card heading: its name, and its type beside it only when the
 * name does not already say it ("Sandbox" of type "Sandbox (writes to a file…)"
 * shows once; "Backup sandbox" keeps the type, which the name does not name).
 */
export function providerHeading(name: string, typeLabel: string): { title: string; kind: string | null } {
  const title = name.trim() || typeLabel;
  const shortType = typeLabel.split(" (")[0].trim().toLowerCase();
  const named = title.toLowerCase();
  return { title, kind: named === typeLabel.toLowerCase() || named === shortType ? null : typeLabel };
}
