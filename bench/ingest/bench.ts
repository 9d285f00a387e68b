// bench/ingest: events per second the event ingestor accepts with 2 replicas (two processes sharing one
// database, batched inserts), against plain batched INSERTs of the same rows straight into the same
// database, and the p99 latency of POST /events at half the peak rate, on the testbed's PostgreSQL:
//   node --conditions=@falco-airgap/source bench/ingest/bench.ts [--events N] [--rounds N] [--clusters N] [--json]
// Needs the testbed's postgres service (tools/testbed/testbed up postgres).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Agent, request } from 'undici';
import { buildJwks, generateClusterKeyPair, issueClusterToken, readSigningKey, renderJwks } from '@falco-airgap/fleet-identity';
import { eventRow, migrate, type EventRow } from '@falco-airgap/event-ingestor';
import { createTestDatabase } from '../../apps/event-ingestor/src/test-support/database.ts';
import { sidekickEvent } from '../../apps/event-ingestor/src/test-support/falco-events.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
    clusters: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '256' },
    'latency-seconds': { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
  },
});
const EVENTS = Number(values.events);
const ROUNDS = Math.max(1, Number(values.rounds));
const CLUSTERS = Number(values.clusters);
const CONCURRENCY = Number(values.concurrency);
const LATENCY_SECONDS = Number(values['latency-seconds']);
const REPLICAS = 2;
// The ingestor's batches: up to 500 rows, 4 in flight per replica; the plain INSERTs get the same size and as many connections.
const BATCH_SIZE = 500;
const DIRECT_CONNECTIONS = 4 * REPLICAS;
const ISSUER = 'bench-ingest';
const AUDIENCE = 'falco-event-ingestor';

const db = await createTestDatabase('bench_ingest');
const work = await mkdtemp(join(tmpdir(), 'bench-ingest-'));
const replicas: ChildProcess[] = [];
const pool = new pg.Pool({ connectionString: db.url, max: DIRECT_CONNECTIONS });
const agent = new Agent({ connections: CONCURRENCY, pipelining: 1, keepAliveTimeout: 30_000 });

try {
  await migrate(pool);
  const key = await readSigningKey((await generateClusterKeyPair({ algorithm: 'ES256' })).privateKeyPem);
  const jwksFile = join(work, 'jwks.json');
  await writeFile(jwksFile, renderJwks(buildJwks([key.publicJwk])));
  const clusters = Array.from({ length: CLUSTERS }, (_, i) => `bench-cluster-${i}`);
  const tokens = await Promise.all(
    clusters.map(async (cluster) => (await issueClusterToken({ cluster, key, ttl: 3600, issuer: ISSUER, audience: AUDIENCE })).token),
  );

  const urls = await Promise.all(Array.from({ length: REPLICAS }, () => startReplica(db.url, jwksFile)));
  const cpuAtStart = replicaCpuMs();
  const throughput: { ingestor: number; direct: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Fresh events each round (new ids), the same rows for both sides; the order alternates.
    const deliveries = Array.from({ length: EVENTS }, (_, i) => {
      const event = sidekickEvent({ rule: `Bench rule ${i % 17}`, hostname: `node-${i % 50}` });
      return { cluster: i % CLUSTERS, body: JSON.stringify(event), row: eventRow(clusters[i % CLUSTERS]!, event) };
    });
    const sides = { ingestor: 0, direct: 0 };
    for (const side of round % 2 === 0 ? (['ingestor', 'direct'] as const) : (['direct', 'ingestor'] as const)) {
      await pool.query('TRUNCATE falco_events');
      await pool.query('VACUUM ANALYZE falco_events');
      sides[side] = side === 'ingestor' ? await postAll(deliveries, urls, tokens) : await insertDirect(deliveries.map((d) => d.row));
      const stored = Number((await pool.query('SELECT count(*) AS n FROM falco_events')).rows[0].n);
      if (stored !== EVENTS) throw new Error(`${side}: ${stored} rows stored, expected ${EVENTS}`);
    }
    throughput.push(sides);
    log(`round ${round + 1}: ingestor ${sides.ingestor.toFixed(0)} events/s, plain INSERTs ${sides.direct.toFixed(0)} rows/s`);
  }
  const ingestorRate = median(throughput.map((t) => t.ingestor));
  const directRate = median(throughput.map((t) => t.direct));

  // Open loop at half the peak: each request is timed from when it was due, so a stall counts against every request it delays.
  const rate = ingestorRate / 2;
  const total = Math.round(rate * LATENCY_SECONDS);
  const paced = Array.from({ length: total }, (_, i) => ({ cluster: i % CLUSTERS, body: JSON.stringify(sidekickEvent({ rule: `Paced rule ${i % 17}` })) }));
  const latencies = await pacedRun(paced, urls, tokens, rate);
  const cpuAtEnd = replicaCpuMs();
  const cpuPerEvent = cpuAtStart === undefined || cpuAtEnd === undefined ? undefined : (cpuAtEnd - cpuAtStart) / (ROUNDS * EVENTS + latencies.length);
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;

  const result = {
    events: EVENTS,
    rounds: ROUNDS,
    clusters: CLUSTERS,
    replicas: REPLICAS,
    ingestorEventsPerSecond: Math.round(ingestorRate),
    plainInsertRowsPerSecond: Math.round(directRate),
    ratio: Number((ingestorRate / directRate).toFixed(2)),
    ratioGoal: '>= 0.5',
    latency: {
      rate: Math.round(rate),
      requests: latencies.length,
      p50Ms: round1(p(0.5)),
      p99Ms: round1(p(0.99)),
      maxMs: round1(latencies.at(-1)!),
      p99GoalMs: 50,
    },
    replicaCpuMsPerEvent: cpuPerEvent === undefined ? null : Number(cpuPerEvent.toFixed(3)),
  };
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(
      `ingestor, ${REPLICAS} replicas: ${result.ingestorEventsPerSecond} events/s (median of ${ROUNDS} rounds of ${EVENTS} events, ${CLUSTERS} clusters)`,
    );
    console.log(`plain batched INSERTs (${BATCH_SIZE} rows, ${DIRECT_CONNECTIONS} connections): ${result.plainInsertRowsPerSecond} rows/s`);
    console.log(`ratio: ${result.ratio}x (goal >= 0.5x)`);
    console.log(
      `latency at half the peak (${result.latency.rate}/s for ${LATENCY_SECONDS} s, ${result.latency.requests} requests): p50 ${result.latency.p50Ms} ms, p99 ${result.latency.p99Ms} ms, max ${result.latency.maxMs} ms (goal p99 < 50 ms)`,
    );
    if (result.replicaCpuMsPerEvent !== null)
      console.log(`CPU of the replicas per event (user + sys, every round and the latency run): ${result.replicaCpuMsPerEvent} ms`);
  }
} finally {
  await agent.close();
  for (const child of replicas) child.kill('SIGTERM');
  await Promise.all(replicas.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));
  await pool.end();
  await db.drop();
  await rm(work, { recursive: true, force: true });
}

/** One ingestor process, started from source as the bin starts it; resolves with its URL. */
async function startReplica(databaseUrl: string, jwksFile: string): Promise<string> {
  const child = spawn(process.execPath, ['--conditions=@falco-airgap/source', join(repoRoot, 'apps/event-ingestor/src/bin.ts')], {
    env: {
      ...process.env,
      FALCO_EVENT_INGESTOR_DATABASE_URL: databaseUrl,
      FALCO_EVENT_INGESTOR_JWKS_FILE: jwksFile,
      FALCO_EVENT_INGESTOR_ISSUER: ISSUER,
      FALCO_EVENT_INGESTOR_AUDIENCE: AUDIENCE,
      FALCO_EVENT_INGESTOR_HOST: '127.0.0.1',
      FALCO_EVENT_INGESTOR_PORT: '0',
      // The bench measures storage, not the per-cluster limit.
      FALCO_EVENT_INGESTOR_RATE: '1000000',
      FALCO_EVENT_INGESTOR_BURST: '1000000',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  replicas.push(child);
  // The log is read to the end, so the replica never blocks on a full pipe.
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolveStart, rejectStart) => {
    const timer = setTimeout(() => rejectStart(new Error('an ingestor replica did not start listening within 60 s')), 60_000);
    child.once('exit', (code) => rejectStart(new Error(`an ingestor replica exited with ${code} before listening`)));
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; address?: string };
      if (entry.msg === 'listening' && entry.address) {
        clearTimeout(timer);
        resolveStart(entry.address);
      }
    });
  });
}

async function post(url: string, token: string, body: string): Promise<number> {
  const response = await request(`${url}/events`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${token}` },
    body,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  await response.body.dump();
  if (response.statusCode !== 201) throw new Error(`POST /events answered ${response.statusCode}`);
  return response.statusCode;
}

/** Every delivery, CONCURRENCY in flight, spread over the replicas; events per second. */
async function postAll(deliveries: { cluster: number; body: string }[], urls: string[], tokens: string[]): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < deliveries.length; i = next++) await post(urls[i % urls.length]!, tokens[deliveries[i]!.cluster]!, deliveries[i]!.body);
    }),
  );
  return deliveries.length / ((performance.now() - started) / 1000);
}

/** The same rows as plain multi-row INSERT ... VALUES statements, BATCH_SIZE rows each, DIRECT_CONNECTIONS at once; rows per second. */
async function insertDirect(rows: EventRow[]): Promise<number> {
  const columns = ['id', 'cluster', 'time', 'priority', 'severity', 'rule', 'output', 'source', 'hostname', 'tags', 'uuid', 'output_fields'] as const;
  const batches: EventRow[][] = [];
  for (let i = 0; i < rows.length; i += BATCH_SIZE) batches.push(rows.slice(i, i + BATCH_SIZE));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: DIRECT_CONNECTIONS }, async () => {
      for (let b = next++; b < batches.length; b = next++) {
        const batch = batches[b]!;
        const params: unknown[] = [];
        const tuples = batch.map((row) => {
          const slots = columns.map((column) => {
            params.push(column === 'output_fields' ? JSON.stringify(row[column]) : row[column]);
            return `$${params.length}`;
          });
          return `(${slots.join(', ')})`;
        });
        await pool.query(`INSERT INTO falco_events (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, params);
      }
    }),
  );
  return rows.length / ((performance.now() - started) / 1000);
}

/** Sends at a fixed rate whatever the answers; the latency of each request from the moment it was due, in ms. */
async function pacedRun(deliveries: { cluster: number; body: string }[], urls: string[], tokens: string[], rate: number): Promise<number[]> {
  const latencies: number[] = [];
  const inflight: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < deliveries.length; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolveWait) => setTimeout(resolveWait, wait));
    const delivery = deliveries[i]!;
    inflight.push(post(urls[i % urls.length]!, tokens[delivery.cluster]!, delivery.body).then(() => void latencies.push(performance.now() - due)));
  }
  await Promise.all(inflight);
  return latencies;
}

/** User + system CPU of the replicas so far, in milliseconds, from /proc (Linux); undefined elsewhere. */
function replicaCpuMs(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  let total = 0;
  for (const child of replicas) {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks of 10 ms.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += (Number(fields[11]) + Number(fields[12])) * 10;
  }
  return total;
}

function median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function log(line: string): void {
  if (!values.json) console.error(line);
}
