import type { ComponentChildren } from 'preact';
import { FieldWrapper } from './field-wrapper.tsx';

export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}

interface FieldProps {
  label: string;
  name: string;
  /** Needed when two forms on one page have a field of the same name; defaults to f-<name>. */
  id?: string;
  type?: 'text' | 'email' | 'password' | 'search';
  value?: string;
  autocomplete?: string;
  required?: boolean;
  maxLength?: number;
  hint?: string;
  error?: string | undefined;
  inputMode?: 'numeric' | 'email' | 'text';
  autofocus?: boolean;
  /** Show the strength meter (public/js/app.js) under a new-password field; the server still decides. */
  strength?: boolean;
  /** The policy's minimum length, for the strength meter (data-min-length); not enforced by the browser. */
  strengthMinLength?: number;
  /** Show how many characters are left near maxLength (public/js/app.js); the server still checks the length. */
  counter?: boolean;
}

/** A labelled input; the hint and error are tied to it with aria-describedby. */
export function Field(props: FieldProps) {
  const id = props.id ?? `f-${props.name}`;
  return (
    <FieldWrapper
      {...props}
      id={id}
      control={(aria) => (
        <input
          id={id}
          name={props.name}
          // Preact types input attributes per `type`; every attribute here is valid for all four types.
          type={(props.type ?? 'text') as 'text'} // eslint-disable-line @typescript-eslint/no-unnecessary-type-assertion
          value={props.value}
          autocomplete={props.autocomplete}
          required={props.required}
          maxLength={props.maxLength}
          inputMode={props.inputMode}
          autofocus={props.autofocus}
          // People type in any script: the browser sets the field's direction from the first letter typed.
          dir={props.type === 'password' ? undefined : 'auto'}
          data-strength={props.strength ? '' : undefined}
          data-counter={props.counter ? '' : undefined}
          data-min-length={props.strength && props.strengthMinLength ? String(props.strengthMinLength) : undefined}
          {...aria}
        />
      )}
    />
  );
}

/** A required email address field, as long as the longest address SMTP allows (254). */
export function EmailField(props: Omit<FieldProps, 'type' | 'maxLength' | 'name' | 'required'> & { name?: string }) {
  return <Field {...props} name={props.name ?? 'email'} type="email" required maxLength={254} />;
}

export function Alert({ kind, children }: { kind: 'error' | 'success' | 'info'; children: ComponentChildren }) {
  return (
    <div class={`alert alert--${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/** A form with one button that POSTs with the CSRF token: for actions such as logout. */
export function ActionButton(props: {
  action: string;
  token: string;
  label: string;
  class?: string;
  /** A question public/js/app.js asks before it submits. */
  confirm?: string;
}) {
  return (
    <form method="post" action={props.action} class="inline-form" data-confirm={props.confirm}>
      <CsrfField token={props.token} />
      <button type="submit" class={props.class ?? 'button'}>
        {props.label}
      </button>
    </form>
  );
}
