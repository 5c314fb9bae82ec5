import { describe, expect, it } from "vitest";
import captured from "../popup-urls.captured.json";
import { popupTarget } from "./SendSms";

describe("popupTarget", () => {
  it("reads the id the Dashboard adds to an extension's URL", () => {
    expect(popupTarget("?saleorApiUrl=x&orderId=T3JkZXI6MQ%3D%3D&theme=dark")).toEqual({ kind: "order", id: "T3JkZXI6MQ==" });
    expect(popupTarget("?customerId=VXNlcjo3&id=QXBwOjI=")).toEqual({ kind: "customer", id: "VXNlcjo3" });
  });
  it("reads the customers ticked in the list, comma-joined as the Dashboard's qs writes them", () => {
    // resolveAppIframeUrl: stringify(params, "comma") encodes the joined value, comma and all.
    expect(popupTarget("?domain=localhost%3A8001&customerIds=VXNlcjox%2CVXNlcjoxMA%3D%3D&theme=light")).toEqual({
      kind: "customers",
      ids: ["VXNlcjox", "VXNlcjoxMA=="],
    });
    expect(popupTarget("?customerIds=VXNlcjox&customerIds=VXNlcjoy,VXNlcjox")).toEqual({ kind: "customers", ids: ["VXNlcjox", "VXNlcjoy"] });
    expect(popupTarget("?customerIds=,")).toBeNull();
  });
  it("reads the iframe URLs the real Dashboard 3.23.27 opened", () => {
    const search = (url: string) => new URL(url).search;
    expect(popupTarget(search(captured.order))).toEqual({ kind: "order", id: "T3JkZXI6YTU5M2ZmYzktNmE4ZC00Y2E0LTk4ZjktOTg0ZWZmOWJjNGNi" });
    expect(popupTarget(search(captured.customer))).toEqual({ kind: "customer", id: "VXNlcjo2" });
    expect(popupTarget(search(captured.customers))).toEqual({
      kind: "customers",
      ids: ["VXNlcjo2", "VXNlcjoxMA==", "VXNlcjo3", "VXNlcjoxMQ==", "VXNlcjo5"],
    });
  });
  it("is null when the URL names neither", () => {
    expect(popupTarget("?saleorApiUrl=x")).toBeNull();
    expect(popupTarget("?orderId=")).toBeNull();
  });
});
