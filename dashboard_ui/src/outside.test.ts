import { describe, expect, it } from "vitest";
import { isFramed, manifestUrlFor } from "./outside";

describe("outside the Dashboard", () => {
  it("names the manifest of the app serving the page", () => {
    expect(manifestUrlFor("https://sms.example.com/app?saleorApiUrl=x&id=1")).toBe("https://sms.example.com/api/manifest");
    expect(manifestUrlFor("https://sms.example.com/app/")).toBe("https://sms.example.com/api/manifest");
    expect(manifestUrlFor("http://localhost:8000/app#top")).toBe("http://localhost:8000/api/manifest");
    // APP_URL with a path prefix keeps it.
    expect(manifestUrlFor("https://shop.example/sms/app")).toBe("https://shop.example/sms/api/manifest");
  });

  it("tells a window of its own from a framed page", () => {
    const own = { self: null as unknown, top: null as unknown };
    own.self = own;
    own.top = own;
    expect(isFramed(own as unknown as Window)).toBe(false);
    expect(isFramed({ self: {}, top: {} } as unknown as Window)).toBe(true);
    const crossOrigin = {
      self: {},
      get top(): Window {
        throw new DOMException("Blocked a frame", "SecurityError");
      },
    };
    expect(isFramed(crossOrigin as unknown as Window)).toBe(true);
  });
});
