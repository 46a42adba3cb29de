export type Verdict = 'PASS' | 'FAIL' | 'NOT RUN';

export interface ToolResult {
  tool: string;
  verdict: Verdict;
  /** One line for the summary table. */
  summary: string;
  seconds: number;
  /** Printed under the tool's heading: what was scanned, every finding (allowlisted or not) with its evidence. */
  details: string[];
}

export function formatSeconds(s: number): string {
  return s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(1)}s`;
}

/** A plain-text table: header, rule, rows; columns padded to the widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join(' | ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map(line)].join('\n');
}

/** Runs one tool's step, timing it and turning an exception into a FAIL with the message as evidence. */
export async function timed(
  tool: string,
  step: () => Promise<Omit<ToolResult, 'tool' | 'seconds'>>,
): Promise<ToolResult> {
  const started = performance.now();
  console.log(`\n=== ${tool}: started ${new Date().toISOString().slice(11, 19)}`);
  let result: ToolResult;
  try {
    result = { tool, seconds: 0, ...(await step()) };
  } catch (error) {
    result = {
      tool,
      seconds: 0,
      verdict: 'FAIL',
      summary: 'the scan itself failed',
      details: [`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`],
    };
  }
  result.seconds = (performance.now() - started) / 1000;
  console.log(`=== ${tool}: ${result.verdict} in ${formatSeconds(result.seconds)} — ${result.summary}`);
  for (const line of result.details) {
    console.log(`    ${line}`);
  }
  return result;
}
