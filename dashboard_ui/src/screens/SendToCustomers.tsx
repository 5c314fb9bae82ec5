// The customer list's "Send SMS" popup (CUSTOMER_OVERVIEW_MORE_ACTIONS): the customers
// ticked in Saleor's list as a small campaign. Before Send: how many of them would
// get the text and why the others are left out (the Campaigns screen's audience
// preview), the text as the first of them who can get it reads it (with the opt-out
// line), its segments and the estimated cost. Send makes one campaign however often it is clicked; the
// popup then shows its progress (it is also listed on the Campaigns screen).
import { Box, Button, Text } from "@saleor/macaw-ui";
import { useEffect, useRef, useState } from "react";
import { ApiError, getJson, sendJson } from "../api";
import { notify } from "../bridge";
import { newKey } from "../campaigns";
import type { AudiencePreview, Campaign, CampaignEstimate } from "../types";
import { ErrorBanner, FieldError, Spinner } from "../ui";
import { AudiencePreviewBox } from "./Audience";
import { CampaignProgressBar } from "./Campaigns";
import { PopupText, usePopupStart } from "./SendSms";

/** How often the campaign's progress is read after Send. */
const POLL_MS = 2000;
const FINISHED = ["done", "cancelled"];

export function SendToCustomers({ ids }: { ids: string[] }) {
  const start = usePopupStart("customers");
  const [audience, setAudience] = useState<(AudiencePreview & { ticked: number }) | null>(null);
  const [text, setText] = useState("");
  const [estimate, setEstimate] = useState<CampaignEstimate | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [sending, setSending] = useState(false);
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const key = useRef(newKey());

  useEffect(() => {
    sendJson<AudiencePreview & { ticked: number }>("POST", "/manual/customers/preview", { customer_ids: ids })
      .then(setAudience)
      .catch((e) => {
        if (e instanceof ApiError) setErrors(e.details);
        setError(e instanceof Error ? e.message : String(e));
      });
  }, [ids]);

  const recipients = audience?.would_get ?? 0;
  useEffect(() => {
    if (!text.trim()) {
      setEstimate(null);
      return;
    }
    const timer = window.setTimeout(async () => {
      try {
        setEstimate(await sendJson<CampaignEstimate>("POST", "/manual/customers/estimate", { text, recipients, customer_ids: ids }));
        setErrors((old) => ({ ...old, text: "" }));
      } catch (e) {
        setEstimate(null);
        if (e instanceof ApiError && e.details.text) setErrors((old) => ({ ...old, text: e.details.text }));
        else setError(e instanceof Error ? e.message : String(e));
      }
    }, 250);
    return () => window.clearTimeout(timer);
  }, [text, recipients, ids]);

  useEffect(() => {
    if (!campaign || FINISHED.includes(campaign.state)) return;
    const timer = window.setTimeout(async () => {
      try {
        setCampaign((await getJson<{ campaign: Campaign }>(`/manual/customers/${campaign.id}`)).campaign);
      } catch {
        setCampaign({ ...campaign }); // ask again
      }
    }, POLL_MS);
    return () => window.clearTimeout(timer);
  }, [campaign]);

  const send = async () => {
    setSending(true);
    setError("");
    try {
      const answer = await sendJson<{ campaign: Campaign }>("POST", "/manual/customers", { customer_ids: ids, text, idempotency_key: key.current });
      setCampaign(answer.campaign);
      notify("success", "SMS", `Sending to ${recipients} customer${recipients === 1 ? "" : "s"}.`);
    } catch (e) {
      if (e instanceof ApiError) {
        setErrors(e.details);
        setError(e.details.text || e.details.customer_ids ? "" : e.message);
      } else {
        setError(String(e));
      }
    } finally {
      setSending(false);
    }
  };

  return (
    <Box display="flex" flexDirection="column" gap={4} data-testid="send-to-customers" style={{ maxWidth: 640 }}>
      <Text as="h2" size={7} fontWeight="bold">Send SMS to the ticked customers</Text>
      {(error || start.error) && <ErrorBanner message={error || start.error} />}
      <FieldError message={errors.customer_ids} />
      {!audience && !errors.customer_ids && <Spinner label="Looking up the ticked customers…" />}
      {audience && (
        <Box>
          <Text as="p" size={2} color="default2" data-testid="ticked">
            {audience.ticked} ticked in Saleor{audience.customers < audience.ticked ? `, ${audience.customers} found` : ""}. Only those who agreed to marketing texts and are not on the do-not-text list get it.
          </Text>
          <AudiencePreviewBox preview={audience} />
        </Box>
      )}
      <PopupText rules={start.rules} text={text} setText={setText} error={errors.text} disabled={!!campaign} />
      <Box>
        <Text size={2} fontWeight="bold">Preview for one of them, with the opt-out line</Text>
        <div className="sms-bubble" data-testid="send-preview">{estimate?.text ?? ""}</div>
        {estimate && (
          <Text as="p" size={2} marginTop={1} data-testid="estimate">
            {estimate.segments} SMS ({estimate.encoding}) × {estimate.recipients} recipient{estimate.recipients === 1 ? "" : "s"}
            {estimate.cost.length ? ` ≈ ${estimate.cost.map((c) => `${c.total} ${c.currency}`).join(" + ")}` : " — no prices yet to estimate from"}
          </Text>
        )}
      </Box>
      <Box display="flex" gap={3} alignItems="center">
        <Button variant="primary" onClick={() => void send()}
          disabled={sending || !!campaign || !text.trim() || !!errors.text || !recipients}>
          {sending ? "Sending…" : recipients ? `Send to ${recipients}` : "Send"}
        </Button>
      </Box>
      {campaign && (
        <Box data-testid="send-progress">
          <Text as="p" size={2} marginBottom={1}>
            Campaign “{campaign.name}”: <b data-testid="campaign-state">{campaign.state}</b> (also on the SMS app's Campaigns screen)
          </Text>
          <CampaignProgressBar campaign={campaign} />
        </Box>
      )}
    </Box>
  );
}
