// Small building blocks in the dashboard's look, on top of macaw-ui's Box/Text.
import { Box, Button, Text } from "@saleor/macaw-ui";
import { useState } from "react";
import type { CSSProperties, ReactNode } from "react";
import { shopTime } from "./format";

/** A moment in the shop's time zone, the zone named, UTC on hover (format.shopTime). */
export function ShopTime({ iso, zone }: { iso: string; zone: string }) {
  const { text, utc } = shopTime(iso, zone);
  return (
    <span className="nowrap" title={utc} data-testid="shop-time">
      {text}
    </span>
  );
}

export function Section({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  return (
    <Box
      as="section"
      borderStyle="solid"
      borderWidth={1}
      borderColor="default1"
      borderRadius={4}
      padding={5}
      marginBottom={5}
      backgroundColor="default1"
    >
      <Box display="flex" justifyContent="space-between" alignItems="center" marginBottom={4} gap={3}>
        <Text as="h2" size={7} fontWeight="bold">
          {title}
        </Text>
        <Box display="flex" gap={2}>
          {actions}
        </Box>
      </Box>
      {children}
    </Box>
  );
}

export function ErrorBanner({
  message,
  onRetry,
  onKeep,
}: {
  message: string;
  /** Reload what is saved, dropping this screen's edits. */
  onRetry?: () => void;
  /** Reload what is saved and put this screen's edits back on top (after a conflict). */
  onKeep?: () => void;
}) {
  return (
    <Box
      role="alert"
      padding={3}
      marginBottom={4}
      borderRadius={4}
      backgroundColor="critical1"
      display="flex"
      justifyContent="space-between"
      alignItems="center"
      gap={3}
    >
      <Text color="critical1">{message}</Text>
      <Box display="flex" gap={2}>
        {onKeep && (
          <Button variant="primary" size="small" onClick={onKeep}>
            Reload, keep my changes
          </Button>
        )}
        {onRetry && (
          <Button variant="secondary" size="small" onClick={onRetry}>
            {onKeep ? "Reload, discard my changes" : "Reload"}
          </Button>
        )}
      </Box>
    </Box>
  );
}

export function FieldError({ message }: { message?: string }) {
  if (!message) return null;
  return (
    <Text as="p" size={2} color="critical1" role="alert">
      {message}
    </Text>
  );
}

export function Spinner({ label }: { label: string }) {
  return (
    <Box display="flex" alignItems="center" gap={2} role="status" aria-live="polite">
      <Box className="spinner" />
      <Text size={2} color="default2">
        {label}
      </Text>
    </Box>
  );
}

/** Native form controls styled like macaw's inputs (keyboard- and test-friendly). */
export const controlStyle: CSSProperties = {
  font: "inherit",
  padding: "8px 10px",
  borderRadius: 4,
  border: "1px solid var(--mu-colors-border-default1)",
  background: "var(--mu-colors-background-default1)",
  color: "var(--mu-colors-text-default1)",
  minWidth: 0,
};

export function Labeled({ label, children, error, help }: { label: string; children: ReactNode; error?: string; help?: string }) {
  return (
    <Box as="label" display="flex" flexDirection="column" gap={1} marginBottom={3}>
      <Text size={2} fontWeight="medium" color="default2">
        {label}
      </Text>
      {children}
      {help && (
        <Text size={1} color="default2">
          {help}
        </Text>
      )}
      <FieldError message={error} />
    </Box>
  );
}

export function Pill({ children, color }: { children: ReactNode; color?: string }) {
  return (
    <span className="pill" style={color ? { background: color, color: "#fff" } : undefined}>
      {children}
    </span>
  );
}

/** Below a paged table: how many in all, and Previous / Page n of m / Next. */
export function Pager({ total, page, pages, onPage, testId }: { total: string; page: number; pages: number; onPage: (page: number) => void; testId: string }) {
  return (
    <Box display="flex" justifyContent="space-between" alignItems="center" marginTop={3}>
      <Text size={2} color="default2" data-testid={testId}>{total}</Text>
      <Box display="flex" gap={2} alignItems="center">
        <Button size="small" variant="secondary" disabled={page <= 1} onClick={() => onPage(page - 1)}>Previous</Button>
        <Text size={2}>Page {page} of {pages}</Text>
        <Button size="small" variant="secondary" disabled={page >= pages} onClick={() => onPage(page + 1)}>Next</Button>
      </Box>
    </Box>
  );
}

/** A button that deletes or removes, asking first in its own place: the Dashboard's iframe
 * sandbox has no allow-modals, so window.confirm() would silently answer "no". The first
 * click shows ``question`` with the confirming button and Keep. */
export function ConfirmInPlace({
  label,
  question,
  askLabel,
  confirmLabel,
  disabled,
  onConfirm,
}: {
  label: string;
  question: string;
  askLabel: string;
  confirmLabel: string;
  disabled?: boolean;
  onConfirm: () => void;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <Button size="small" variant="secondary" disabled={disabled} onClick={() => setAsking(true)} aria-label={askLabel}>
        {label}
      </Button>
    );
  }
  return (
    <Box display="flex" gap={2} alignItems="center">
      <Text size={1} color="default2">{question}</Text>
      <Button
        size="small"
        variant="error"
        disabled={disabled}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
        aria-label={confirmLabel}
      >
        {label}
      </Button>
      <Button size="small" variant="secondary" onClick={() => setAsking(false)}>Keep</Button>
    </Box>
  );
}
