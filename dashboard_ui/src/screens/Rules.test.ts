import { describe, expect, it, vi } from "vitest";
import type { Rule } from "../types";
import { durationText, whenText } from "./Rules";

vi.mock("../bridge", () => ({ notify: vi.fn(), appBridge: { getState: () => ({}) } }));

const RULE: Rule = {
  id: "r",
  name: "Remind",
  enabled: true,
  event: "ORDER_CREATED",
  conditions: { statuses: [], channels: [] },
  recipients: { customer: true, staff: false, numbers: [] },
  template: "x",
  delay_minutes: 0,
  send_only_if: { statuses: [], statuses_not: [], charge_statuses: [], not_cancelled: false, not_fulfilled: false, not_refunded: false },
  send_no_later_than_minutes: null,
};

describe("durationText", () => {
  it("picks the largest whole unit", () => {
    expect(durationText(90)).toBe("90 min");
    expect(durationText(120)).toBe("2 h");
    expect(durationText(1440)).toBe("1 day");
    expect(durationText(7 * 1440)).toBe("7 days");
  });
});

describe("whenText", () => {
  it("is empty for an instant rule without conditions", () => {
    expect(whenText(RULE)).toBe("");
  });
  it("says the wait and every send-only-if condition", () => {
    const rule: Rule = {
      ...RULE,
      delay_minutes: 120,
      send_only_if: { ...RULE.send_only_if, charge_statuses: ["PARTIAL", "NONE"], statuses_not: ["RETURNED"], not_cancelled: true },
    };
    expect(whenText(rule)).toBe("after 2 h if not returned, unpaid/partly paid, not cancelled");
  });
});
