import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import type { Static, TObject } from '@sinclair/typebox';
import { Clean, Messages, type FieldMessages } from './schemas.ts';

/** Field name → message shown beside the field; `form` for a message about the whole form. */
export type FieldErrors<T> = Partial<Record<(keyof T & string) | 'form', string>>;
/** What the user typed, cleaned, for re-rendering the form: strings only, never a file. */
export type FormValues<T> = { [K in keyof T]?: string };

export type FormResult<T> =
  { ok: true; data: T; values: FormValues<T> } | { ok: false; values: FormValues<T>; errors: FieldErrors<T> };

const FORM_MALFORMED = 'The form could not be read. Reload the page and send it again.';

/** Counted as the schema check counts (UTF-16 code units), so "this one has N" agrees with the limit it broke. */
function lengthOf(value: unknown): number {
  return typeof value === 'string' ? value.length : 0;
}

function messageFor(error: ValueError, label: string, value: unknown): string {
  const messages = (error.schema as { [Messages]?: FieldMessages })[Messages] ?? {};
  const schema = error.schema as { maxLength?: number; minLength?: number };
  switch (error.type) {
    case ValueErrorType.StringMaxLength:
      return (
        messages.maxLength ??
        `${label} can have up to ${schema.maxLength?.toLocaleString('en')} characters (this one has ${lengthOf(value).toLocaleString('en')}).`
      );
    case ValueErrorType.StringMinLength:
      return schema.minLength === 1
        ? (messages.required ?? `Fill in ${label.toLowerCase()}.`)
        : (messages.minLength ?? `${label} needs at least ${schema.minLength} characters.`);
    case ValueErrorType.StringPattern:
    case ValueErrorType.StringFormat:
      return messages.pattern ?? `${label} is not valid.`;
    case ValueErrorType.Union:
    case ValueErrorType.Literal:
      return messages.choice ?? `Choose ${label.toLowerCase()} from the list.`;
    default:
      return messages.required ?? `Fill in ${label.toLowerCase()}.`;
  }
}

/**
 * The one way a handler reads a form: cleans each field as its schema says, checks the whole body against the
 * route's own schema, and returns either the typed data or a message per field (the first problem of each) with
 * what the user typed, for re-rendering with status 400. No handler re-checks a body by hand.
 */
export function parseForm<S extends TObject>(schema: S, body: unknown): FormResult<Static<S>> {
  type T = Static<S>;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, values: {}, errors: { form: FORM_MALFORMED } as FieldErrors<T> };
  }
  const input = body as Record<string, unknown>;
  const cleaned: Record<string, unknown> = {};
  const values: Record<string, string> = {};
  for (const [key, raw] of Object.entries(input)) {
    const field = schema.properties[key] as { [Clean]?: (s: string) => string } | undefined;
    const clean = field?.[Clean];
    const value = typeof raw === 'string' && clean ? clean(raw) : raw;
    cleaned[key] = value;
    if (typeof value === 'string' && field && key !== '_csrf') {
      values[key] = value;
    }
  }
  const errors: Record<string, string> = {};
  for (const error of Value.Errors(schema, cleaned)) {
    const key = error.path.split('/')[1] ?? '';
    const field = schema.properties[key] as { title?: string } | undefined;
    const name = field && error.type !== ValueErrorType.ObjectAdditionalProperties ? key : 'form';
    if (errors[name] === undefined) {
      errors[name] = name === 'form' ? FORM_MALFORMED : messageFor(error, field?.title ?? key, cleaned[key]);
    }
  }
  if (Object.keys(errors).length > 0) {
    return { ok: false, values: values, errors: errors as FieldErrors<T> };
  }
  return { ok: true, data: cleaned, values: values };
}
