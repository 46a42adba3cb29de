import type { InboxSource } from '../../db/database.ts';

/**
 * What the parser (parse.ts) makes of one raw inbound message: the contract between the sources (Mailgun webhook,
 * IMAP poller), the parser and the service that applies a message to a ticket.
 */

/**
 * An attachment or inline image as the message carried it, before the upload checks (attachments.ts): the name is
 * decoded but not sanitised (acceptUploads does that), the type is the part's. Attachments of forwarded messages are
 * included; the machine-readable parts of a bounce (message/delivery-status, text/rfc822-headers) are not.
 */
export interface InboundAttachment {
  fileName: string;
  contentType: string;
  data: Buffer;
  /** An inline image (Content-Disposition inline with a Content-ID): kept as an attachment all the same. */
  inline: boolean;
}

export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror' | 'unknown';
export type DkimResult = 'pass' | 'fail' | 'none' | 'unknown';

/**
 * Whether the message authenticates for its From domain, from a verdict we trust: Mailgun's (the signed webhook's
 * fields and the headers Mailgun adds), or the receiving server's Authentication-Results with INBOUND_AUTHSERV_ID.
 * A header the sender wrote themselves never counts.
 */
export interface AuthVerdict {
  spf: SpfResult;
  /** The domain SPF checked (the envelope sender's), or null. */
  spfDomain: string | null;
  dkim: DkimResult;
  /** The d= domains of the signatures that passed. */
  dkimDomains: string[];
  /** DMARC alignment (relaxed: same organisational domain) of a passing SPF or DKIM with the From domain. */
  aligned: boolean;
  /** A passing DKIM signature aligned with the From domain (staff replies need one: SPF alone is not enough). */
  dkimAligned: boolean;
  /** One line for staff, e.g. "DKIM pass for example.com (aligned); SPF softfail for bounce.example.net". */
  summary: string;
}

/** Mail we never answer and never add to a ticket (RFC 3834, bounces, lists, our own). */
export interface AutomaticMail {
  kind: 'auto_reply' | 'bounce' | 'list' | 'own_message';
  /** The header or sign that gave it away, for staff (e.g. "Auto-Submitted: auto-replied"). */
  reason: string;
}

/** A delivery status notification: whose address could not be delivered to, and why. */
export interface BounceReport {
  recipients: string[];
  reason: string;
}

export interface ParsedInbound {
  /** Message-ID without brackets, or null when the message has none. */
  messageId: string | null;
  /** The one From mailbox (lower-cased address), or null when From is missing, empty or names several mailboxes. */
  from: { address: string; name: string } | null;
  /**
   * Every recipient address we can see (envelope recipient first, then To, Cc, Delivered-To, X-Original-To), lower-cased
   * with an ASCII (punycode) domain, each once, at most 100.
   */
  recipients: string[];
  /** Decoded, on one line, at most 300 characters ('' when missing). */
  subject: string;
  /** In-Reply-To and References ids, without brackets. */
  inReplyTo: string[];
  references: string[];
  /**
   * The whole text, for staff: the text parts (HTML-only mail converted to text, scripts and styles dropped), then each
   * forwarded message (message/rfc822) under a "---------- Forwarded message ----------" line with its From, Date,
   * Subject, To and Cc. `\n` line breaks, no control characters, at most 100,000 characters (then a marker line).
   */
  text: string;
  /** The new part of a reply: quoted history and signature removed. Equal to `text` when nothing was quoted. */
  reply: string;
  attachments: InboundAttachment[];
  auth: AuthVerdict;
  automatic: AutomaticMail | null;
  /** For a bounce (automatic.kind 'bounce') whose delivery-status part reports permanent failures (5.x.x); else null. */
  bounce: BounceReport | null;
}

/** What a source knows beside the raw message. */
export interface InboundContext {
  source: InboxSource;
  /** Mailgun's envelope and verdicts from the signed webhook (see mailgun.routes.ts); null for IMAP. */
  envelope: MailgunEnvelope | null;
}

export interface MailgunEnvelope {
  sender?: string;
  recipient?: string;
  spf?: string;
  dkim?: string;
}
