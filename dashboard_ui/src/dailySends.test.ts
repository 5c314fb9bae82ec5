import { describe as group, expect, it } from "vitest";
import { audienceForm, describe, hourText } from "./dailySends";

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

  it("puts a saved audience back into the form", () => {
    const form = audienceForm({ country: "PL", orders_min: 2, joined_from: null });
    expect(form.country).toBe("PL");
    expect(form.orders_min).toBe("2");
    expect(form.joined_from).toBe("");
  });
});
