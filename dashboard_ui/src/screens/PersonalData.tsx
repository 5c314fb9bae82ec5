// One customer's number: download everything the log holds for it (an access
// request) or erase it (a deletion request). The number goes in the request
// body, never in a URL.
import { Box, Button, Text } from "@saleor/macaw-ui";
import { useState } from "react";
import { ApiError, request, sendJson } from "../api";
import { notify } from "../bridge";
import { FieldError, controlStyle } from "../ui";

interface Erased {
  messages: number;
  attempts: number;
  delivery_reports: number;
  suppressions: number;
}

export function PersonalData({ onErased }: { onErased: () => void }) {
  const [phone, setPhone] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [result, setResult] = useState("");

  const fail = (e: unknown) => {
    setError(e instanceof ApiError ? (e.details.phone ?? e.message) : String(e));
  };

  const download = async () => {
    setBusy(true);
    setError("");
    try {
      const response = await request("/messages/personal-data/export", {
        method: "POST",
        body: JSON.stringify({ phone }),
        headers: { "Content-Type": "application/json" },
      });
      const url = URL.createObjectURL(await response.blob());
      const a = document.createElement("a");
      a.href = url;
      a.download = "sms-personal-data.json";
      document.body.appendChild(a);
      a.click();
      a.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  };

  const erase = async () => {
    setBusy(true);
    setError("");
    try {
      const { erased } = await sendJson<{ erased: Erased }>("POST", "/messages/personal-data/erase", { phone });
      const text = `${erased.messages} messages, ${erased.attempts} provider answers, ${erased.delivery_reports} delivery reports and ${erased.suppressions} do-not-text entries erased.`;
      setResult(text);
      notify("success", "Number erased", text);
      setPhone("");
      onErased();
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <details className="personal-data" data-testid="personal-data">
      <summary><Text size={2} fontWeight="medium">Personal data of one number (access or erasure request)</Text></summary>
      <Box display="flex" gap={2} alignItems="flex-end" flexWrap="wrap" marginTop={2}>
        <label className="filters-label">Phone number
          <input style={controlStyle} name="personal_phone" placeholder="+48 601 234 567" value={phone}
            onChange={(e) => { setPhone(e.target.value); setConfirming(false); setResult(""); }} />
        </label>
        <Button variant="secondary" disabled={!phone || busy} onClick={download} data-testid="personal-export">Download its data (JSON)</Button>
        {!confirming ? (
          <Button variant="secondary" disabled={!phone || busy} onClick={() => setConfirming(true)} data-testid="personal-erase">Erase…</Button>
        ) : (
          <Box display="flex" gap={2} alignItems="center">
            <Text size={2} color="critical1">Blank every message, answer and report with this number? This cannot be undone.</Text>
            <Button variant="error" disabled={busy} onClick={erase} data-testid="personal-erase-confirm">Erase</Button>
            <Button variant="secondary" onClick={() => setConfirming(false)}>Keep</Button>
          </Box>
        )}
      </Box>
      <FieldError message={error} />
      {result && <Text as="p" size={2} color="default2" data-testid="personal-result">{result}</Text>}
    </details>
  );
}
