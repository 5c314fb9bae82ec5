import { describe, expect, it } from "vitest";
import { popupTarget } from "./SendSms";

describe("popupTarget", () => {
  it("reads the id the Dashboard adds to an extension's URL", () => {
    expect(popupTarget("?saleorApiUrl=x&orderId=T3JkZXI6MQ%3D%3D&theme=dark")).toEqual({ kind: "order", id: "T3JkZXI6MQ==" });
    expect(popupTarget("?customerId=VXNlcjo3&id=QXBwOjI=")).toEqual({ kind: "customer", id: "VXNlcjo3" });
  });
  it("is null when the URL names neither", () => {
    expect(popupTarget("?saleorApiUrl=x")).toBeNull();
    expect(popupTarget("?orderId=")).toBeNull();
  });
});
