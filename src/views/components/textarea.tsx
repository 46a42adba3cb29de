interface TextareaProps {
  label: string;
  name: string;
  value: string;
  maxLength: number;
  /** Defaults to f-<name>. */
  id?: string;
  rows?: number;
  hint?: string | undefined;
  error?: string | undefined;
  required?: boolean;
}

/** A labelled multi-line text field; the hint and error are tied to it with aria-describedby. */
export function Textarea({
  label,
  name,
  value,
  maxLength,
  id = `f-${name}`,
  rows = 8,
  hint,
  error,
  required = true,
}: TextareaProps) {
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${error ? ' field--error' : ''}`}>
      <label for={id}>{label}</label>
      {hint && (
        <p class="field__hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <textarea
        id={id}
        name={name}
        rows={rows}
        maxLength={maxLength}
        required={required}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy}
      >
        {value}
      </textarea>
      {error && (
        <p class="field__error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}
