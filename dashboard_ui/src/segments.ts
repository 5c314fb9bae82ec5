// Exact SMS segment counting and transliteration: a line-by-line mirror of
// saleor_sms_app/segments.py, so the editor shows what the server will send.
// Both are tested against the same cases (segments.cases.json).
import anyAscii from "any-ascii";

export const GSM7_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
export const GSM7_EXTENSION = "\f^{}\\[~]|€";
const BASIC = new Set(Array.from(GSM7_BASIC).filter((ch) => ch !== "\x1b"));
const EXTENSION = new Set(Array.from(GSM7_EXTENSION));

export const GSM7 = "GSM-7";
export const UCS2 = "UCS-2";

export interface SegmentInfo {
  encoding: typeof GSM7 | typeof UCS2;
  /** Length in the encoding's units (septets or UTF-16 code units). */
  units: number;
  segments: number;
  /** Units still free in the last segment. */
  remaining: number;
  /** Distinct characters that forced UCS-2, in order of first appearance. */
  unicodeCharacters: string[];
}

export function isGsm7Char(ch: string): boolean {
  return BASIC.has(ch) || EXTENSION.has(ch);
}

function splitCount(units: number[], perSegment: number): [number, number] {
  let segments = 1;
  let used = 0;
  for (const size of units) {
    if (used + size > perSegment) {
      segments += 1;
      used = 0;
    }
    used += size;
  }
  return [segments, perSegment - used];
}

/** How many SMS the text costs, and why. Iterates code points, like Python's str. */
export function countSegments(text: string): SegmentInfo {
  const chars = Array.from(text);
  const unicodeCharacters = [...new Set(chars.filter((ch) => !isGsm7Char(ch)))];
  const encoding = unicodeCharacters.length ? UCS2 : GSM7;
  const units = chars.map((ch) =>
    encoding === GSM7 ? (EXTENSION.has(ch) ? 2 : 1) : ch.codePointAt(0)! > 0xffff ? 2 : 1,
  );
  const total = units.reduce((a, b) => a + b, 0);
  const [single, multi] = encoding === GSM7 ? [160, 153] : [70, 67];
  if (total === 0) return { encoding, units: 0, segments: 0, remaining: single, unicodeCharacters };
  if (total <= single)
    return { encoding, units: total, segments: 1, remaining: single - total, unicodeCharacters };
  const [segments, remaining] = splitCount(units, multi);
  return { encoding, units: total, segments, remaining, unicodeCharacters };
}

const SMART_PUNCTUATION: Record<string, string> = {
  "\u2018": "'",
  "\u2019": "'",
  "\u201a": "'",
  "\u201b": "'",
  "\u201c": '"',
  "\u201d": '"',
  "\u201e": '"',
  "\u00ab": '"',
  "\u00bb": '"',
  "\u2013": "-",
  "\u2014": "-",
  "\u2212": "-",
  "\u2026": "...",
  "\u00a0": " ",
  "\u2007": " ",
  "\u202f": " ",
  "\u200b": "",
  "\u200d": "",
  "\ufeff": "",
};

/** Replace every character GSM-7 lacks with its closest GSM-7 spelling (é, ü, ñ are kept). */
export function transliterate(text: string): string {
  return Array.from(text)
    .map((ch) => {
      if (isGsm7Char(ch)) return ch;
      if (ch in SMART_PUNCTUATION) return SMART_PUNCTUATION[ch];
      return Array.from(anyAscii(ch))
        .filter((c) => isGsm7Char(c))
        .join("");
    })
    .join("");
}

/** The text split into runs, marking the characters that force UCS-2 (for highlighting). */
export function unicodeRuns(text: string): { text: string; unicode: boolean }[] {
  const runs: { text: string; unicode: boolean }[] = [];
  for (const ch of Array.from(text)) {
    const unicode = !isGsm7Char(ch);
    const last = runs[runs.length - 1];
    if (last && last.unicode === unicode) last.text += ch;
    else runs.push({ text: ch, unicode });
  }
  return runs;
}
