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

type Described = Pick<DailySend, "source" | "date_key" | "offset_amount" | "offset_unit" | "hour"> &
  Partial<Pick<DailySend, "repeat" | "days_before" | "from_year">>;

/** "a day", "3 days". */
function days(n: number): string {
  return n === 1 ? "1 day" : `${n} days`;
}

/** The daily send in the merchant's words: "Birthday (metadata “birthday”) at 09:00",
 * "Every year after joining (from the 2nd), 3 days before, at 09:00". */
export function describe(send: Described): string {
  const at = ` at ${hourText(send.hour)}`;
  const before = send.days_before ? `, ${days(send.days_before)} before,` : "";
  if (send.source === "birthday") return `Birthday (metadata “${send.date_key}”)${before}${at}`;
  const after =
    send.source === "joined" ? "after joining" : send.source === "last_order" ? "after the last order" : `after metadata “${send.date_key}”`;
  if (send.repeat === "yearly") {
    const from = (send.from_year ?? 1) > 1 ? ` (from the ${ordinal(send.from_year ?? 1)})` : "";
    return `Every year ${after}${from}${before}${at}`;
  }
  const n = send.offset_amount;
  const unit = n === 1 ? send.offset_unit.replace(/s$/, "") : send.offset_unit;
  return `${n} ${unit} ${after}${at}`;
}

/** 1st, 2nd, 3rd, 4th, 11th, 21st (the app's ``years_ordinal`` in the template). */
export function ordinal(n: number): string {
  const teen = n % 100 >= 10 && n % 100 <= 20;
  const suffix = teen ? "th" : ({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th";
  return `${n}${suffix}`;
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
