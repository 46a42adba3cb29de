import type { ComponentChildren } from 'preact';

export interface Column<T> {
  /** The header, and each cell's data-label (the label a narrow screen shows beside the cell). */
  label: string;
  /** A header only screen readers read (a column of buttons); its cells get no data-label. */
  hiddenLabel?: boolean;
  cell: (row: T) => ComponentChildren;
  /** The cell's tooltip. */
  title?: (row: T) => string | undefined;
}

/** A table of rows, one column per entry of `columns`, that stacks into labelled cells on narrow screens. */
export function DataTable<T>(props: {
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string | number;
  class?: string;
  /** Shown instead of the table when there are no rows. */
  empty?: ComponentChildren;
}) {
  const { columns } = props;
  if (props.rows.length === 0 && props.empty !== undefined) {
    return <>{props.empty}</>;
  }
  return (
    <div class="table-wrap">
      <table class={props.class ? `table ${props.class}` : 'table'}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col">{c.hiddenLabel ? <span class="visually-hidden">{c.label}</span> : c.label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={props.rowKey(row)}>
              {columns.map((c) => (
                <td data-label={c.hiddenLabel ? undefined : c.label} title={c.title?.(row)}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
