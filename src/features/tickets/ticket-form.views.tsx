import type { FieldErrors, FormValues } from '../../http/forms.ts';
import { Alert, CsrfField, EmailField, Field } from '../../views/components/forms.tsx';
import { Select } from '../../views/components/select.tsx';
import { Textarea } from '../../views/components/textarea.tsx';
import type { PageContext } from '../../views/context.ts';
import { Layout } from '../../views/layout.tsx';
import { ALLOWED_EXTENSIONS } from './attachments.ts';
import { categoryOptions, PRIORITY_OPTIONS } from './ticket.presenter.ts';
import { formatTicketNumber, MESSAGE_MAX, SUBJECT_MAX, type NewTicketForm } from './ticket.schemas.ts';

const ACCEPT = ALLOWED_EXTENSIONS.map((ext) => `.${ext}`).join(',');

export interface AttachmentLimits {
  maxFiles: number;
  maxMb: number;
  /** Checked in the browser before the upload (public/js/app.js); the server checks again. */
  maxBytes: number;
}

/**
 * The file picker of the ticket forms; none when attachments are switched off (ATTACHMENT_MAX_FILES=0). `id` defaults to f-attachments; a page with two forms (the ticket's reply and note) gives each its own.
 */
export function AttachmentInput({
  maxFiles,
  maxMb,
  maxBytes,
  error,
  id = 'f-attachments',
}: AttachmentLimits & { error?: string | undefined; id?: string }) {
  if (maxFiles === 0) {
    return null;
  }
  return (
    <div class={`field${error ? ' field--error' : ''}`}>
      <label for={id}>Attachments (optional)</label>
      <p class="field__hint" id={`${id}-hint`}>
        Up to {maxFiles} files of {maxMb} MB each: images, PDF, text or office documents.
      </p>
      <input
        id={id}
        name="attachments"
        type="file"
        multiple
        accept={ACCEPT}
        data-max-bytes={String(maxBytes)}
        data-max-files={String(maxFiles)}
        aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
        aria-invalid={error ? 'true' : undefined}
      />
      {error && (
        <p class="field__error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * The key public/js/app.js keeps a form's draft under in the browser: per user, form and ticket, so a draft never
 * appears for another account on the same browser.
 */
export function draftKey(ctx: PageContext, form: string, ticketId?: number): string | undefined {
  return ctx.user ? `u${ctx.user.id}:${form}${ticketId === undefined ? '' : `:${ticketId}`}` : undefined;
}

interface NewTicketPageProps {
  ctx: PageContext;
  /** Staff open tickets for a client, named by email. */
  forOthers: boolean;
  values: FormValues<NewTicketForm>;
  errors: FieldErrors<NewTicketForm>;
  categories: string[];
  attachments: AttachmentLimits;
}

export function NewTicketPage({ ctx, forOthers, values, errors, categories, attachments }: NewTicketPageProps) {
  // The choices have no room for a message of their own: theirs is shown over the form.
  const formError = errors.form ?? errors.category ?? errors.priority;
  return (
    <Layout ctx={ctx} title="New ticket">
      <div class="page-head">
        <h1>New ticket</h1>
        <a href="/tickets">Back to tickets</a>
      </div>
      <section class="card">
        {formError && <Alert kind="error">{formError}</Alert>}
        <form
          method="post"
          action="/tickets"
          enctype="multipart/form-data"
          class="stack"
          novalidate
          data-draft={draftKey(ctx, 'new-ticket')}
        >
          <CsrfField token={ctx.csrfToken} />
          {forOthers && (
            <EmailField
              label="Client’s email"
              name="client_email"
              value={values.client_email ?? ''}
              hint="Open the ticket on behalf of this client. They can see and answer it."
              error={errors.client_email}
            />
          )}
          <Field
            label="Subject"
            name="subject"
            value={values.subject ?? ''}
            maxLength={SUBJECT_MAX}
            counter
            required
            autofocus={!forOthers}
            error={errors.subject}
          />
          <div class="grid-2 grid-2--tight">
            <Select
              label="Category (optional)"
              name="category"
              value={values.category ?? ''}
              options={[{ value: '', label: 'Choose…' }, ...categoryOptions(categories)]}
            />
            <Select label="Priority" name="priority" value={values.priority || 'normal'} options={PRIORITY_OPTIONS} />
          </div>
          <Textarea
            label="Message"
            name="message"
            value={values.message ?? ''}
            maxLength={MESSAGE_MAX}
            error={errors.message}
            rows={10}
            hint="Describe what happened and what you expected. Line breaks are kept."
          />
          <AttachmentInput {...attachments} error={errors.attachments} />
          <button type="submit" class="button button--primary">
            Open ticket
          </button>
        </form>
      </section>
    </Layout>
  );
}

export function DeleteTicketPage({ ctx, ticket }: { ctx: PageContext; ticket: { id: number; subject: string } }) {
  return (
    <Layout ctx={ctx} title="Delete ticket" narrow>
      <section class="card auth-card" aria-labelledby="delete-title">
        <h1 id="delete-title">Delete {formatTicketNumber(ticket.id)}?</h1>
        <p>
          “{ticket.subject}” and all of its messages, notes and attachments will be deleted. This cannot be undone; the
          deletion is recorded in the audit log.
        </p>
        <form method="post" action={`/tickets/${ticket.id}/delete`} class="stack">
          <CsrfField token={ctx.csrfToken} />
          <button type="submit" class="button button--danger button--block">
            Delete the ticket
          </button>
        </form>
        <p class="auth-card__footer">
          <a href={`/tickets/${ticket.id}`}>Keep it</a>
        </p>
      </section>
    </Layout>
  );
}
