// A hand-written progress bar on stderr: percentage, rows per second, ETA. Redraws at most 5 times a second;
// when stderr is not a terminal it prints a plain line every 10 seconds instead.

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) {
    return '?';
  }
  const s = Math.round(ms / 1000);
  if (s < 60) {
    return `${s}s`;
  }
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(s % 60).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export class Progress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly started = Date.now();
  private lastDraw = 0;
  private drawnDone = -1;
  private done = 0;
  private rows = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  /** `done` items of `total`, `rows` database rows written so far. */
  update(done: number, rows: number): void {
    this.done = done;
    this.rows = rows;
    const now = Date.now();
    if (now - this.lastDraw >= (this.tty ? 200 : 10_000) || done >= this.total) {
      this.lastDraw = now;
      this.draw(now);
    }
  }

  finish(): void {
    if (this.drawnDone !== this.done) {
      this.draw(Date.now());
    }
    if (this.tty) {
      this.stream.write('\n');
    }
  }

  private draw(now: number): void {
    this.drawnDone = this.done;
    const elapsed = Math.max(now - this.started, 1);
    const fraction = this.total === 0 ? 1 : Math.min(this.done / this.total, 1);
    const rate = (this.rows / elapsed) * 1000;
    const eta = fraction > 0 ? (elapsed / fraction) * (1 - fraction) : Number.POSITIVE_INFINITY;
    const width = 28;
    const filled = Math.round(fraction * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const text =
      `${this.label} ${bar} ${(fraction * 100).toFixed(1).padStart(5)}%  ${fmt(this.done)}/${fmt(this.total)}` +
      `  ${fmt(rate)} rows/s  elapsed ${formatDuration(elapsed)}  ETA ${fraction >= 1 ? '0s' : formatDuration(eta)}`;
    if (this.tty) {
      this.stream.write(`\r${text}\x1b[K`);
    } else {
      this.stream.write(`${text}\n`);
    }
  }
}
