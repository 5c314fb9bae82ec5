// Pure helpers of the daily sends (birthdays and anniversaries) section (tested in dailySends.test.ts).
import { EMPTY_AUDIENCE } from "./campaigns";
import type { AudienceForm } from "./campaigns";
import type { DailySend } from "./types";

export const SOURCES: { value: DailySend["source"]; label: string }[] = [
  { value: "birthday", label: "Birthday (a date in a metadata key)" },
  { value: "joined", label: "After the customer joined" },
  { value: "last_order", label: "After the last order" },
  { value: "metadata_date", label: "After a date in a metadata key" },
];

/** "at 09:00" in the shop's zone. */
export function hourText(hour: number): string {
  return `${String(hour).padStart(2, "0")}:00`;
}

/** The daily send in the merchant's words: "Birthday (metadata “birthday”) at 09:00". */
export function describe(send: Pick<DailySend, "source" | "date_key" | "offset_amount" | "offset_unit" | "hour">): string {
  const at = ` at ${hourText(send.hour)}`;
  if (send.source === "birthday") return `Birthday (metadata “${send.date_key}”)${at}`;
  const n = send.offset_amount;
  const unit = n === 1 ? send.offset_unit.replace(/s$/, "") : send.offset_unit;
  const after =
    send.source === "joined" ? "after joining" : send.source === "last_order" ? "after the last order" : `after metadata “${send.date_key}”`;
  return `${n} ${unit} ${after}${at}`;
}

/** The saved audience back into the form's text fields. */
export function audienceForm(saved: Record<string, unknown>): AudienceForm {
  const form: AudienceForm = { ...EMPTY_AUDIENCE };
  for (const key of Object.keys(form) as (keyof AudienceForm)[]) {
    const value = saved[key];
    form[key] = value === null || value === undefined ? "" : String(value);
  }
  return form;
}
