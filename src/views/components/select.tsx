import { FieldWrapper } from './field-wrapper.tsx';

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
  return (
    <FieldWrapper
      {...props}
      id={id}
      control={(aria) => (
        <select id={id} name={props.name} {...aria}>
          {options}
        </select>
      )}
    />
  );
}
