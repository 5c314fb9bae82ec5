import { describe, expect, it } from "vitest";
import data from "./segments.cases.json";
import { countSegments, transliterate, unicodeRuns } from "./segments";

describe("countSegments mirrors saleor_sms_app/segments.py", () => {
  for (const c of data.cases) {
    it(`${JSON.stringify(c.text).slice(0, 40)} → ${c.segments} × ${c.encoding}`, () => {
      const info = countSegments(c.text);
      expect(info).toEqual({
        encoding: c.encoding,
        units: c.units,
        segments: c.segments,
        remaining: c.remaining,
        unicodeCharacters: c.unicode_characters,
      });
    });
    it(`transliterates ${JSON.stringify(c.text).slice(0, 40)}`, () => {
      const out = transliterate(c.text);
      expect(out).toBe(c.transliterated);
      expect(countSegments(out).encoding).toBe("GSM-7");
    });
  }
});

describe("unicodeRuns", () => {
  it("marks only the characters that force UCS-2", () => {
    expect(unicodeRuns("Zamówienie wysłane")).toEqual([
      { text: "Zam", unicode: false },
      { text: "ó", unicode: true },
      { text: "wienie wys", unicode: false },
      { text: "ł", unicode: true },
      { text: "ane", unicode: false },
    ]);
  });
});
