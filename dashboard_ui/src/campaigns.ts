// Pure helpers of the Campaigns screen (tested in campaigns.test.ts).
import { countSegments } from "./segments";

export interface AudienceForm {
  joined_from: string;
  joined_to: string;
  orders_min: string;
  orders_max: string;
  last_order_from: string;
  last_order_to: string;
  country: string;
  metadata_key: string;
  metadata_value: string;
}

export const EMPTY_AUDIENCE: AudienceForm = {
  joined_from: "",
  joined_to: "",
  orders_min: "",
  orders_max: "",
  last_order_from: "",
  last_order_to: "",
  country: "",
  metadata_key: "",
  metadata_value: "",
};

/** The audience as the API takes it: empty fields left out, counts as numbers. */
export function audienceBody(form: AudienceForm): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(form)) {
    const text = value.trim();
    if (!text) continue;
    out[key] = key.startsWith("orders_") && /^\d+$/.test(text) ? Number(text) : text;
  }
  return out;
}

/** A new idempotency key: one per Send intent, so a double click makes one campaign. */
export function newKey(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return "send-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Segments of one text with the shop's opt-out line on its own line (marketing texts end with it). */
export function segmentsWithOptOut(text: string, optOut: string): number {
  const line = optOut.trim();
  return countSegments(text && line ? `${text}\n${line}` : text).segments;
}

/** "about 3 min" for the time left; "" when unknown. */
export function timeLeft(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "";
  if (seconds < 60) return `about ${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min`;
  return `about ${(seconds / 3600).toFixed(1)} h`;
}

/** Share of the campaign handled (sent, delivered, failed, skipped), 0–100. */
export function donePercent(p: { sent: number; delivered: number; failed: number; skipped: number; total: number }): number {
  if (!p.total) return 0;
  return Math.min(100, Math.round(((p.sent + p.delivered + p.failed + p.skipped) * 100) / p.total));
}
