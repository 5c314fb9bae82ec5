import { afterEach, describe, expect, it, vi } from "vitest";

const state = { token: "old", saleorApiUrl: "https://shop.example/graphql/" };
const nextToken = vi.fn(async () => {
  state.token = "fresh";
  return "fresh";
});
vi.mock("./bridge", () => ({ appBridge: { getState: () => state }, nextToken }));

const { ApiError, fieldErrors, getJson, sendJson } = await import("./api");

function reply(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

afterEach(() => {
  vi.unstubAllGlobals();
  nextToken.mockClear();
  state.token = "old";
});

describe("api client", () => {
  it("sends the dashboard token and the Saleor it came from", async () => {
    const fetch = vi.fn(async () => reply(200, { ok: 1 }));
    vi.stubGlobal("fetch", fetch);
    expect(await getJson("/me")).toEqual({ ok: 1 });
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    const headers = new Headers(init.headers);
    expect(url).toBe("/api/dashboard/me");
    expect(headers.get("Authorization-Bearer")).toBe("old");
    expect(headers.get("Saleor-Api-Url")).toBe("https://shop.example/graphql/");
  });

  it("waits for a fresh token once when the old one expired, then retries", async () => {
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(reply(401, { error: { code: "token_expired", message: "expired" } }))
      .mockResolvedValueOnce(reply(200, { rows: [] }));
    vi.stubGlobal("fetch", fetch);
    expect(await getJson("/messages")).toEqual({ rows: [] });
    expect(nextToken).toHaveBeenCalledTimes(1);
    const retried = new Headers((fetch.mock.calls[1] as unknown as [string, RequestInit])[1].headers);
    expect(retried.get("Authorization-Bearer")).toBe("fresh");
  });

  it("does not retry a forged or foreign token", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => reply(401, { error: { code: "token_foreign_app", message: "another app" } })));
    await expect(getJson("/me")).rejects.toMatchObject({ status: 401, code: "token_foreign_app" });
    expect(nextToken).not.toHaveBeenCalled();
  });

  it("turns a 422 into an error carrying the field messages", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => reply(422, { error: { code: "invalid_configuration", message: "bad", details: { "rules.0.template": "unknown token" } } })),
    );
    const error = await sendJson("PUT", "/config", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as InstanceType<typeof ApiError>).details).toEqual({ "rules.0.template": "unknown token" });
  });

  it("says the app is unreachable when the network fails", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => { throw new TypeError("Failed to fetch"); }));
    await expect(getJson("/me")).rejects.toMatchObject({ code: "network" });
  });
});

describe("fieldErrors", () => {
  it("names each field the API named, and keeps the whole message", () => {
    const refused = new ApiError(400, "bad_request", "hour: must be from 0 to 23", { hour: "0-23" });
    expect(fieldErrors(refused)).toEqual({ hour: "0-23", _: "hour: must be from 0 to 23" });
    expect(fieldErrors(new Error("boom"))).toEqual({ _: "Error: boom" });
  });
});
