// The tabs above a rule's text: its default text and one per language code
// (issue 9 item 7). The order's languageCodeEnum picks a text when it is sent.
import { Box, Button, Text } from "@saleor/macaw-ui";
import { useState } from "react";
import { controlStyle } from "../ui";

const CODE = /^[A-Z]{2,3}(_[A-Z0-9]{2,4}){0,2}$/;

export function LanguageTabs({ languages, active, onPick, onAdd, onRemove }: {
  languages: string[];
  /** "" is the default text. */
  active: string;
  onPick: (code: string) => void;
  onAdd: (code: string) => void;
  onRemove: (code: string) => void;
}) {
  const [typed, setTyped] = useState("");
  const [problem, setProblem] = useState("");
  const add = () => {
    const code = typed.trim().toUpperCase().replace(/-/g, "_");
    if (!CODE.test(code)) return setProblem("Type a language code such as DE or PT_BR");
    if (languages.includes(code)) return setProblem(`${code} already has a text`);
    setProblem("");
    setTyped("");
    onAdd(code);
  };
  return (
    <Box marginBottom={2} data-testid="language-tabs">
      <Box display="flex" gap={1} flexWrap="wrap" alignItems="center" role="tablist" aria-label="Text language">
        {["", ...languages].map((code) => (
          <button key={code || "default"} type="button" role="tab" aria-selected={active === code}
            className={"tab" + (active === code ? " active" : "")} onClick={() => onPick(code)}>
            {code || "Default"}
          </button>
        ))}
        <input style={{ ...controlStyle, width: 90 }} aria-label="New language code" placeholder="DE"
          value={typed} onChange={(e) => setTyped(e.target.value)}
          onKeyDown={(e) => { if (e.key === "Enter") { e.preventDefault(); add(); } }} />
        <Button size="small" variant="secondary" onClick={add}>Add language</Button>
        {active && (
          <Button size="small" variant="error" onClick={() => onRemove(active)}>Remove {active}</Button>
        )}
      </Box>
      {problem && <Text as="p" size={2} color="critical1" role="alert">{problem}</Text>}
      <Text as="p" size={1} color="default2">
        {active
          ? `Sent to orders in ${active}${active.includes("_") ? "" : ` (and ${active}_…)`}.`
          : "Sent when the order's language has no text of its own."}
      </Text>
    </Box>
  );
}
