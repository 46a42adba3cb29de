// What argon2id alone allows on this machine: password verifications per second with @node-rs/argon2 at the
// app's parameters (argon2id, m, t, p = 1, the pepper as secret), as many in flight as libuv's thread pool has
// threads (UV_THREADPOOL_SIZE, 4 by default), which is where the app's verifications run too.
//   node --import tsx bench/argon2-baseline.ts '{"memoryCost":19456,"timeCost":2,"pepper":"…","seconds":5}'
import { hash, verify } from '@node-rs/argon2';

export interface Argon2Spec {
  memoryCost: number;
  timeCost: number;
  pepper: string;
  seconds: number;
}

export interface Argon2Result {
  memoryCost: number;
  timeCost: number;
  concurrency: number;
  verifications: number;
  seconds: number;
  perSecond: number;
  /** Mean time of one verification while `concurrency` run at once. */
  meanMs: number;
}

const ARGON2ID = 2;

export async function argon2Baseline(spec: Argon2Spec): Promise<Argon2Result> {
  const secret = Buffer.from(spec.pepper, 'utf8');
  const password = 'parapet demo password';
  const stored = await hash(password, {
    algorithm: ARGON2ID,
    memoryCost: spec.memoryCost,
    timeCost: spec.timeCost,
    parallelism: 1,
    secret,
  });
  const concurrency = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  let count = 0;
  let busyMs = 0;
  let deadline = performance.now() + 1000;
  const worker = async (counting: boolean) => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      if (!(await verify(stored, password, { secret }))) {
        throw new Error('verification failed');
      }
      if (counting) {
        count++;
        busyMs += performance.now() - t0;
      }
    }
  };
  // One second of warm-up, then the measurement.
  await Promise.all(Array.from({ length: concurrency }, () => worker(false)));
  const started = performance.now();
  deadline = started + spec.seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, () => worker(true)));
  const seconds = (performance.now() - started) / 1000;
  return {
    memoryCost: spec.memoryCost,
    timeCost: spec.timeCost,
    concurrency,
    verifications: count,
    seconds: Math.round(seconds * 100) / 100,
    perSecond: Math.round((count / seconds) * 10) / 10,
    meanMs: Math.round((busyMs / Math.max(1, count)) * 10) / 10,
  };
}

if (import.meta.filename === process.argv[1]) {
  const result = await argon2Baseline(JSON.parse(process.argv[2] ?? '') as Argon2Spec);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
