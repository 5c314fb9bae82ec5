import { describe, expect, it } from "vitest";
import { conditionsText } from "./RuleConditions";

describe("conditionsText", () => {
  it("says any order when nothing is set", () => {
    expect(conditionsText({ statuses: [], channels: [] })).toBe("any order");
    expect(conditionsText({ statuses: [], channels: [], customer: "any", order_of_customer: "any", total_min: null })).toBe("any order");
  });
  it("lists every set condition in the editor's order", () => {
    expect(
      conditionsText({
        statuses: ["UNFULFILLED"],
        channels: ["pl"],
        shipping_countries: ["PL", "DE"],
        total_min: 20,
        total_max: 40.5,
        shipping_methods: ["DHL"],
        charge_statuses: ["NONE", "PARTIAL"],
        customer: "guest",
        order_of_customer: "first",
        metadata_key: "source",
        metadata_value: "tiktok",
      }),
    ).toBe("unfulfilled · pl · ships to PL/DE · total 20–40.5 · by DHL · unpaid/partly paid · guest customer · first order · source = tiktok");
  });
  it("reads a one-sided total", () => {
    expect(conditionsText({ statuses: [], channels: [], total_min: 0 })).toBe("total ≥ 0");
    expect(conditionsText({ statuses: [], channels: [], total_max: 99 })).toBe("total ≤ 99");
  });
});
