import type { ComponentChildren } from 'preact';

/** What a control inside a FieldWrapper carries so that screen readers tie the hint and error to it. */
interface ControlAria {
  'aria-invalid': 'true' | undefined;
  'aria-describedby': string | undefined;
}

/**
 * The frame that Field, Select and Textarea share: the label, the hint above the control and the error below it,
 * both tied to the control (which `control` renders with the aria attributes it is given) with aria-describedby.
 */
export function FieldWrapper(props: {
  id: string;
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
  control: (aria: ControlAria) => ComponentChildren;
}) {
  const { id, hint, error } = props;
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${error ? ' field--error' : ''}`}>
      <label for={id}>{props.label}</label>
      {hint && (
        <p class="field__hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {props.control({ 'aria-invalid': error ? 'true' : undefined, 'aria-describedby': describedBy })}
      {error && (
        <p class="field__error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}
