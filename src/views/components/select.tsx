export interface SelectOption {
  value: string;
  label: string;
}

interface SelectProps {
  label: string;
  name: string;
  options: SelectOption[];
  /** The chosen option's value; undefined chooses none (the browser shows the first). */
  value: string | undefined;
  /** Defaults to f-<name>. */
  id?: string;
  hint?: string | undefined;
  error?: string | undefined;
  /** A bare label and select (a filter bar), without the form field's frame, hint and error. */
  plain?: boolean;
}

/** A labelled drop-down list; the hint and error are tied to it with aria-describedby. */
export function Select(props: SelectProps) {
  const id = props.id ?? `f-${props.name}`;
  const options = props.options.map((o) => (
    <option value={o.value} selected={props.value === o.value}>
      {o.label}
    </option>
  ));
  if (props.plain) {
    return (
      <div>
        <label for={id}>{props.label}</label>
        <select id={id} name={props.name}>
          {options}
        </select>
      </div>
    );
  }
  const describedBy =
    [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${props.error ? ' field--error' : ''}`}>
      <label for={id}>{props.label}</label>
      {props.hint && (
        <p class="field__hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
      <select id={id} name={props.name} aria-invalid={props.error ? 'true' : undefined} aria-describedby={describedBy}>
        {options}
      </select>
      {props.error && (
        <p class="field__error" id={`${id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  );
}
