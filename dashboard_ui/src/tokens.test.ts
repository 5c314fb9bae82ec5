import { describe, expect, it } from "vitest";
import { filterTokens, groupTokens, insertToken } from "./tokens";

const TOKENS = [
  { name: "order.number", description: "Order number as customers see it", example: "1042" },
  { name: "order.tracking_number", description: "Tracking number of the shipment", example: "JJD1" },
  { name: "customer.first_name", description: "Customer's first name", example: "Anna" },
];

describe("token picker", () => {
  it("inserts at the cursor", () => {
    expect(insertToken("Order  is ready", 6, 6, "order.number")).toEqual({
      text: "Order {{ order.number }} is ready",
      cursor: 24,
    });
  });
  it("replaces the selection", () => {
    expect(insertToken("Hi NAME!", 3, 7, "customer.first_name").text).toBe(
      "Hi {{ customer.first_name }}!",
    );
  });
  it("clamps a cursor past the end", () => {
    expect(insertToken("ab", 99, 99, "x").text).toBe("ab{{ x }}");
  });
  it("filters on every word, in name or description", () => {
    expect(filterTokens(TOKENS, "number").map((t) => t.name)).toEqual([
      "order.number",
      "order.tracking_number",
    ]);
    expect(filterTokens(TOKENS, "shipment number").map((t) => t.name)).toEqual([
      "order.tracking_number",
    ]);
    expect(filterTokens(TOKENS, "")).toHaveLength(3);
  });
  it("groups by the first part of the name", () => {
    expect(groupTokens(TOKENS).map(([g, ts]) => [g, ts.length])).toEqual([
      ["order", 2],
      ["customer", 1],
    ]);
  });
});
