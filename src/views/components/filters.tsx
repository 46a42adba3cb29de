import type { ComponentChildren } from 'preact';

/** The filter bar above a list: a GET form of labelled fields, an Apply button and, when given, a Clear link. */
export function FilterForm(props: {
  action: string;
  label: string;
  clear?: string | false;
  children: ComponentChildren;
}) {
  return (
    <form method="get" action={props.action} class="filters card" role="search" aria-label={props.label}>
      {props.children}
      <div class="filters__actions">
        <button type="submit" class="button">
          Apply
        </button>
        {props.clear && <a href={props.clear}>Clear</a>}
      </div>
    </form>
  );
}

/** A labelled text input of the filter bar; its id is its name (the bar has one of each). */
export function FilterInput(props: {
  label: string;
  name: string;
  value: string | undefined;
  type?: 'search' | 'date';
  maxLength?: number;
  /** The wide search box. */
  search?: boolean;
  hint?: string;
}) {
  const { name } = props;
  return (
    <div class={props.search ? 'filters__search' : undefined}>
      <label for={name}>{props.label}</label>
      {props.hint && (
        <p class="field__hint" id={`${name}-hint`}>
          {props.hint}
        </p>
      )}
      <input
        id={name}
        name={name}
        // Preact types input attributes per `type`; a date input gets no maxLength here.
        type={(props.type ?? 'search') as 'search'} // eslint-disable-line @typescript-eslint/no-unnecessary-type-assertion
        value={props.value ?? ''}
        maxLength={props.maxLength}
        aria-describedby={props.hint ? `${name}-hint` : undefined}
      />
    </div>
  );
}
