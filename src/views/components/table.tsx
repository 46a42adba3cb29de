import type { ComponentChildren } from 'preact';

export interface Column<T> {
  /** The header, and each cell's data-label (the label a narrow screen shows beside the cell). */
  label: string;
  /** A header only screen readers read (a column of buttons); its cells get no data-label. */
  hiddenLabel?: boolean;
  cell: (row: T) => ComponentChildren;
  /** The cell's tooltip (for a `fit: 'line'` column whose cell is plain text, that text by default). */
  title?: (row: T) => string | undefined;
  /**
   * How a cell of people's text fits its column, so one long value never breaks the table: `line` keeps it on one
   * line, never split mid-word, cut with an ellipsis and the full text in the tooltip (addresses, names); `wrap`
   * lets it wrap, anywhere if it must (a subject that is one pasted URL). Both mark the text `dir="auto"`, so
   * right-to-left text reads right to left.
   */
  fit?: 'line' | 'wrap';
}

function Cell<T>({ column, row }: { column: Column<T>; row: T }) {
  const content = column.cell(row);
  const title = column.title?.(row) ?? (column.fit === 'line' && typeof content === 'string' ? content : undefined);
  if (!column.fit) {
    return (
      <td data-label={column.hiddenLabel ? undefined : column.label} title={title}>
        {content}
      </td>
    );
  }
  return (
    <td data-label={column.hiddenLabel ? undefined : column.label} class={`cell--${column.fit}`}>
      <span class={`cell__${column.fit}`} dir="auto" title={title}>
        {content}
      </span>
    </td>
  );
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
                <Cell column={c} row={row} />
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
