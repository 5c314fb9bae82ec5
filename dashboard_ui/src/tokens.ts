// The token picker's logic, kept apart from React so it is tested on its own.
import type { Token } from "./types";

/** Tokens whose name or description contains every word of the query. */
export function filterTokens(tokens: Token[], query: string): Token[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return tokens.filter((t) => {
    const hay = (t.name + " " + t.description).toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** Insert ``{{ name }}`` at the cursor (replacing a selection); returns text and new cursor. */
export function insertToken(
  text: string,
  selectionStart: number,
  selectionEnd: number,
  name: string,
): { text: string; cursor: number } {
  const snippet = `{{ ${name} }}`;
  const start = Math.max(0, Math.min(selectionStart, text.length));
  const end = Math.max(start, Math.min(selectionEnd, text.length));
  return { text: text.slice(0, start) + snippet + text.slice(end), cursor: start + snippet.length };
}

/** Group the catalogue by its first name part (order, customer, shipping_address ...). */
export function groupTokens(tokens: Token[]): [string, Token[]][] {
  const groups = new Map<string, Token[]>();
  for (const t of tokens) {
    const group = t.name.split(".")[0];
    groups.set(group, [...(groups.get(group) ?? []), t]);
  }
  return [...groups.entries()];
}
