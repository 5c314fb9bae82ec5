import { describe, expect, it } from "vitest";
import { chartDays, costText, fieldErrors, providerHeading, rebase, same, shopTime } from "./format";

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

describe("rebase: my edits on top of what someone else saved", () => {
  const rule = (id: string, template: string) => ({ id, template, enabled: true });
  it("keeps their changes where I changed nothing and mine where I did", () => {
    const base = { country: "PL", numbers: ["+48601"], threshold: null as number | null };
    const mine = { ...base, numbers: ["+48601", "+48602"] };
    const theirs = { ...base, country: "DE" };
    expect(rebase(base, mine, theirs)).toEqual({ country: "DE", numbers: ["+48601", "+48602"], threshold: null });
  });
  it("merges lists of rules item by item: added, changed and removed here; theirs kept", () => {
    const base = [rule("a", "A"), rule("b", "B"), rule("c", "C")];
    const mine = [rule("a", "A mine"), rule("c", "C"), rule("d", "D new")]; // b removed, d added
    const theirs = [rule("a", "A"), rule("b", "B"), rule("c", "C theirs"), rule("e", "E theirs")];
    expect(rebase(base, mine, theirs)).toEqual([
      rule("a", "A mine"),
      rule("c", "C theirs"),
      rule("e", "E theirs"),
      rule("d", "D new"),
    ]);
  });
  it("gives everything to them when I changed nothing, and keeps my rule they deleted if I edited it", () => {
    const base = [rule("a", "A")];
    expect(rebase(base, base, [])).toEqual([]);
    expect(rebase(base, [rule("a", "A edited")], [])).toEqual([rule("a", "A edited")]);
  });
});

describe("providerHeading", () => {
  const sandbox = "Sandbox (writes to a file, sends nothing)";
  it("shows the name once when it is the type's own name", () => {
    expect(providerHeading("Sandbox", sandbox)).toEqual({ title: "Sandbox", kind: null });
    expect(providerHeading("twilio", "Twilio")).toEqual({ title: "twilio", kind: null });
    expect(providerHeading("", "Twilio")).toEqual({ title: "Twilio", kind: null });
  });
  it("keeps the type beside a name that does not say it", () => {
    expect(providerHeading("Backup sandbox", sandbox)).toEqual({ title: "Backup sandbox", kind: sandbox });
    expect(providerHeading("Twilio EU", "Twilio")).toEqual({ title: "Twilio EU", kind: "Twilio" });
  });
});

describe("same", () => {
  it("compares drafts by their data", () => {
    expect(same({ a: [1, 2], b: null }, { a: [1, 2], b: null })).toBe(true);
    expect(same({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  });
});

describe("shopTime: a moment in the shop's time zone, UTC on hover", () => {
  it("names the zone and keeps UTC for the title (a :30 zone: the walk's 05:30 UTC send set at 11:00)", () => {
    expect(shopTime("2026-11-30T05:30:00+00:00", "Asia/Kolkata")).toEqual({
      text: "2026-11-30 11:00 Asia/Kolkata",
      utc: "2026-11-30 05:30 UTC",
    });
  });
  it("handles a :45 zone and a day that is already tomorrow in the shop", () => {
    expect(shopTime("2026-11-30T05:30:00Z", "Asia/Kathmandu").text).toBe("2026-11-30 11:15 Asia/Kathmandu");
    expect(shopTime("2026-11-30T20:00:00Z", "Asia/Kolkata").text).toBe("2026-12-01 01:30 Asia/Kolkata");
    expect(shopTime("2026-11-30T02:00:00Z", "America/St_Johns").text).toBe("2026-11-29 22:30 America/St_Johns");
  });
  it("follows daylight saving on the day the clocks move", () => {
    // Warsaw, 29 March 2026: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
    expect(shopTime("2026-03-29T00:30:00Z", "Europe/Warsaw").text).toBe("2026-03-29 01:30 Europe/Warsaw");
    expect(shopTime("2026-03-29T01:30:00Z", "Europe/Warsaw").text).toBe("2026-03-29 03:30 Europe/Warsaw");
    // 25 October 2026: 02:30 happens twice, an hour apart in UTC (the title tells them apart).
    const first = shopTime("2026-10-25T00:30:00Z", "Europe/Warsaw");
    const second = shopTime("2026-10-25T01:30:00Z", "Europe/Warsaw");
    expect([first.text, second.text]).toEqual(["2026-10-25 02:30 Europe/Warsaw", "2026-10-25 02:30 Europe/Warsaw"]);
    expect([first.utc, second.utc]).toEqual(["2026-10-25 00:30 UTC", "2026-10-25 01:30 UTC"]);
    // New York, 8 March 2026: 02:00 EST becomes 03:00 EDT at 07:00 UTC.
    expect(shopTime("2026-03-08T06:59:00Z", "America/New_York").text).toBe("2026-03-08 01:59 America/New_York");
    expect(shopTime("2026-03-08T07:00:00Z", "America/New_York").text).toBe("2026-03-08 03:00 America/New_York");
  });
  it("shows midnight as 00, and UTC, named, for UTC or a zone the browser does not know", () => {
    expect(shopTime("2026-11-29T23:00:00Z", "Europe/Warsaw").text).toBe("2026-11-30 00:00 Europe/Warsaw");
    expect(shopTime("2026-11-30T05:30:00Z", "UTC").text).toBe("2026-11-30 05:30 UTC");
    expect(shopTime("2026-11-30T05:30:00Z", "Mars/Olympus")).toEqual({ text: "2026-11-30 05:30 UTC", utc: "2026-11-30 05:30 UTC" });
  });
});
