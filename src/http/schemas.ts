import { Type, type SchemaOptions, type TLiteral, type TString, type TUnion } from '@sinclair/typebox';

/**
 * Schema fragments every form and route shares. Form fields carry their own cleaning and messages (symbol keys,
 * which the route validator ignores) so that `parseForm` needs nothing else.
 */
export const Clean = Symbol('clean');
export const Messages = Symbol('messages');

export type FieldMessages = Partial<Record<'required' | 'maxLength' | 'minLength' | 'pattern' | 'choice', string>>;

interface TextOptions {
  /** The field's name in messages ("Subject"). */
  title: string;
  maxLength: number;
  minLength?: number;
  pattern?: string;
  description?: string;
  messages?: FieldMessages;
}

/** The CSRF token field (checked by the csrf plugin before the handler; declared here so strict bodies accept it). */
export const CsrfField = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) };

/** A strict form body: the CSRF field plus `fields`, and nothing else. */
export function Form<P extends Parameters<typeof Type.Object>[0]>(fields: P) {
  return Type.Object({ ...CsrfField, ...fields }, { additionalProperties: false });
}

/** One line of text: control characters become spaces, runs of spaces one space, the ends trimmed. */
export function cleanLine(raw: string): string {
  return [...raw]
    .map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? ' ' : c))
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Text with line breaks: CRLF to LF, tabs kept, other control characters dropped, the ends trimmed. */
export function cleanText(raw: string): string {
  return [...raw.replace(/\r\n?/g, '\n')]
    .filter((c) => c === '\n' || c === '\t' || (c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f))
    .join('')
    .trim();
}

function text(clean: (raw: string) => string, { messages, ...options }: TextOptions): TString {
  return Type.String({ ...options, [Clean]: clean, [Messages]: messages });
}

/** A single-line text field, cleaned with `cleanLine` before it is checked. */
export const Line = (options: TextOptions) => text(cleanLine, options);
/** A multi-line text field, cleaned with `cleanText` before it is checked. */
export const Multiline = (options: TextOptions) => text(cleanText, options);
/** An email address field: trimmed and lower-cased before it is checked. */
export const EmailAddress = (options: Omit<TextOptions, 'maxLength'> & { maxLength?: number }) =>
  text((raw) => raw.trim().toLowerCase(), { ...options, maxLength: options.maxLength ?? 254 });

/** One of a fixed list of values (an enum as a union of literals). */
export function OneOf<const V extends readonly string[]>(
  values: V,
  options: SchemaOptions & { title?: string; messages?: FieldMessages } = {},
) {
  const { messages, ...rest } = options;
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    { ...rest, [Messages]: messages },
  ) as TUnion<{ [K in keyof V]: TLiteral<V[K] & string> }[number][]>;
}

/** A checkbox: present with value "1" when ticked. */
export const Checkbox = () => Type.Optional(Type.Literal('1'));

export const Id = () => Type.Integer({ minimum: 1, maximum: 2_147_483_647 });
