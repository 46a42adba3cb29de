import { FieldWrapper } from './field-wrapper.tsx';

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
  return (
    <FieldWrapper
      id={id}
      label={label}
      hint={hint}
      error={error}
      control={(aria) => (
        <textarea id={id} name={name} dir="auto" rows={rows} maxLength={maxLength} required={required} {...aria}>
          {value}
        </textarea>
      )}
    />
  );
}
