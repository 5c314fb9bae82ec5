import { describe, expect, it } from "vitest";
import { chartDays, costText, fieldErrors } from "./format";

describe("fieldErrors", () => {
  it("keeps the errors of one editor, relative to it", () => {
    const details = {
      "rules.0.template": "unknown token order.numbr",
      "rules.1.event": "unknown event",
      "settings.default_country": "must be a two-letter country code",
    };
    expect(fieldErrors(details, "rules.0")).toEqual({ template: "unknown token order.numbr" });
    expect(fieldErrors(details, "settings")).toEqual({ default_country: "must be a two-letter country code" });
  });
});

describe("chartDays", () => {
  it("fills empty days and sums cost per currency", () => {
    const days = chartDays(
      [
        { day: "2026-11-18", status: "failed", count: 1, cost: {} },
        { day: "2026-11-18", status: "delivered", count: 3, cost: { EUR: "0.12" } },
        { day: "2026-11-20", status: "sent", count: 2, cost: { EUR: "0.1", USD: "0.02" } },
      ],
      "2026-11-17",
      "2026-11-20",
    );
    expect(days.map((d) => [d.day, d.total])).toEqual([
      ["2026-11-17", 0],
      ["2026-11-18", 4],
      ["2026-11-19", 0],
      ["2026-11-20", 2],
    ]);
    expect(days[1].parts.map((p) => p.status)).toEqual(["delivered", "failed"]);
    expect(costText(days[3].cost)).toBe("0.10 EUR + 0.02 USD");
  });
});
