import { describe, expect, it } from "vitest";
import { EMPTY_AUDIENCE, audienceBody, donePercent, newKey, segmentsWithOptOut, timeLeft } from "./campaigns";

describe("campaign helpers", () => {
  it("sends only the filters filled in, counts as numbers", () => {
    expect(audienceBody({ ...EMPTY_AUDIENCE, country: " PL ", orders_min: "2", metadata_key: "tier" })).toEqual({
      country: "PL",
      orders_min: 2,
      metadata_key: "tier",
    });
    // A count that is not a number goes as typed, so the server names the field.
    expect(audienceBody({ ...EMPTY_AUDIENCE, orders_max: "many" })).toEqual({ orders_max: "many" });
  });

  it("makes a new key per Send intent", () => {
    const a = newKey();
    expect(a).toMatch(/^send-[0-9a-f]{24}$/);
    expect(newKey()).not.toBe(a);
  });

  it("counts the opt-out line in the segments", () => {
    expect(segmentsWithOptOut("x".repeat(150), "")).toBe(1);
    expect(segmentsWithOptOut("x".repeat(150), "Reply STOP to opt out")).toBe(2);
    expect(segmentsWithOptOut("", "Reply STOP")).toBe(0);
  });

  it("says the time left and the share done", () => {
    expect(timeLeft(null)).toBe("");
    expect(timeLeft(12.4)).toBe("about 12 s");
    expect(timeLeft(600)).toBe("about 10 min");
    expect(timeLeft(5400)).toBe("about 1.5 h");
    expect(donePercent({ sent: 10, delivered: 5, failed: 3, skipped: 2, total: 40 })).toBe(50);
    expect(donePercent({ sent: 0, delivered: 0, failed: 0, skipped: 0, total: 0 })).toBe(0);
  });
});
