import { describe as group, expect, it } from "vitest";
import { audienceForm, describe, hourText, ordinal } from "./dailySends";

group("daily sends", () => {
  it("says when each kind of daily send goes out", () => {
    expect(describe({ source: "birthday", date_key: "birthday", offset_amount: 0, offset_unit: "days", hour: 9 })).toBe(
      "Birthday (metadata “birthday”) at 09:00",
    );
    expect(describe({ source: "joined", date_key: "", offset_amount: 1, offset_unit: "years", hour: 18 })).toBe(
      "1 year after joining at 18:00",
    );
    expect(describe({ source: "last_order", date_key: "", offset_amount: 30, offset_unit: "days", hour: 0 })).toBe(
      "30 days after the last order at 00:00",
    );
    expect(describe({ source: "metadata_date", date_key: "wedding", offset_amount: 2, offset_unit: "months", hour: 10 })).toBe(
      "2 months after metadata “wedding” at 10:00",
    );
    expect(hourText(7)).toBe("07:00");
  });

  it("says when yearly anniversaries and days-before birthdays go out", () => {
    const base = { date_key: "", offset_amount: 0, offset_unit: "days" as const, hour: 9 };
    expect(describe({ ...base, source: "birthday", date_key: "birthday", repeat: "yearly", days_before: 3 })).toBe(
      "Birthday (metadata “birthday”), 3 days before, at 09:00",
    );
    expect(describe({ ...base, source: "joined", repeat: "yearly", days_before: 0, from_year: 1 })).toBe(
      "Every year after joining at 09:00",
    );
    expect(describe({ ...base, source: "metadata_date", date_key: "first_order", repeat: "yearly", days_before: 1, from_year: 2 })).toBe(
      "Every year after metadata “first_order” (from the 2nd), 1 day before, at 09:00",
    );
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(ordinal)).toEqual([
      "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th",
    ]);
  });

  it("puts a saved audience back into the form", () => {
    const form = audienceForm({ country: "PL", orders_min: 2, joined_from: null });
    expect(form.country).toBe("PL");
    expect(form.orders_min).toBe("2");
    expect(form.joined_from).toBe("");
  });
});
