/**
 * `npm run bench:capture`: N concurrent two-party G.711 calls (PCMU, 20 ms packets, 50 packets/s per party) pushed
 * over loopback at real time into the real capture RTSP server (capture/rtsp-server.ts) writing encrypted
 * recordings (capture/recording-store.ts) into a temp data dir, ramped 50, 100, 200, 300, … until the recorder loses
 * a packet or the step cannot keep real time; for RTP over UDP and for TCP interleaved.
 *
 * Processes: the server runs in a child process of its own (`node dist/test/bench/capture.js server`), pinned to
 * core 1 with taskset when available, so its CPU (process.cpuUsage deltas), RSS and heap are its own. The load
 * generator is BENCH_GENERATORS worker threads (default 2) of this process, pinned to core 0; each measures how late
 * its packets leave against their 20 ms schedule. This process only orchestrates.
 *
 * Per step it prints: calls, transport, packets expected/received/lost (server RTP lost + late + duplicates +
 * assembly drops/padding + calls that failed), server CPU per call (% of one core), server ΔRSS and heap per
 * call over the idle baseline, server event-loop delay p99, disk write throughput (recording file bytes/s and the
 * kernel's write_bytes of the server process), generator lag p99/max. Then the max calls held with zero loss per
 * transport against the targets (≥ 500 calls on one core, < 1 MiB per active call): MISSED/ok, never a failure.
 * Exits non-zero only on errors of the bench itself (the server dying, a worker crashing).
 *
 * BENCH_MAX_CALLS (1000), BENCH_STEP_SECONDS (10), BENCH_STEPS (comma list, overrides the ramp), BENCH_TRANSPORTS
 * (udp,tcp), BENCH_GENERATORS (2), BENCH_DATA_DIR (parent of the temp data dir; default os.tmpdir()).
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { newDataKey } from '../../infra/crypto/envelope';
import { createLogger } from '../../infra/logger';
import type { AssemblyStats } from '../../capture/call-assembly';
import { createRecordingStore } from '../../capture/recording-store';
import { pushCall } from '../../capture/rtsp-push';
import { SAMPLES_PER_PACKET } from '../../capture/rtsp-client';
import { RtspServer, type RtspServerStats } from '../../capture/rtsp-server';

const DEVICE = { username: 'bench-pbx', password: 'bench-password' };
const REALM = 'bench';
const PACKETS_PER_SECOND = 50;
const TARGET_CALLS = 500;
const TARGET_BYTES_PER_CALL = 1024 * 1024;
const RTP_PORTS = { first: 10_000, last: 19_999 };

// ─── server (child process) ─────────────────────────────────────────────────────────────────────────────────────

interface ServerSnapshot {
  readonly at: number;
  readonly cpu: NodeJS.CpuUsage;
  readonly memory: NodeJS.MemoryUsage;
  readonly stats: RtspServerStats;
  readonly assembly: { droppedSamples: number; paddedSamples: number; lostAfterFailure: number; finished: number; failed: number };
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  readonly elu: number;
}

async function runServer(): Promise<void> {
  const dataDir = process.env.BENCH_SERVER_DATA_DIR as string;
  const store = createRecordingStore({ dataDir, masterKey: newDataKey() });
  const server = new RtspServer({
    store,
    logger: createLogger({ component: 'bench-server' }, 'warn'),
    realm: REALM,
    devicePassword: (username) => (username === DEVICE.username ? DEVICE.password : undefined),
    port: 0,
    rtpPorts: RTP_PORTS,
    maxConnections: 100_000,
    // One generator address stands for many PBXs: the per-address limits are not what is measured.
    maxConnectionsPerAddress: 100_000,
    connectionsPerSecondPerAddress: 100_000,
    connectionBurstPerAddress: 100_000,
  });
  const assembly = { droppedSamples: 0, paddedSamples: 0, lostAfterFailure: 0, finished: 0, failed: 0 };
  server.onRecordingFinished((call) => {
    const stats: Readonly<AssemblyStats> = call.assembly;
    assembly.finished++;
    assembly.droppedSamples += stats.droppedSamples;
    assembly.paddedSamples += stats.paddedSamples[0] + stats.paddedSamples[1];
    assembly.lostAfterFailure += stats.lostAfterFailure;
  });
  await server.start();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let elu = performance.eventLoopUtilization();
  const send = (message: unknown) => (process.send as (message: unknown) => boolean)(message);
  process.on('message', (message: { type: string }) => {
    if (message.type === 'snapshot') {
      if (global.gc) global.gc();
      const now = performance.eventLoopUtilization();
      const snapshot: ServerSnapshot = {
        at: performance.now(),
        cpu: process.cpuUsage(),
        memory: process.memoryUsage(),
        stats: server.stats,
        assembly: { ...assembly, failed: server.counters.recordingsFailed },
        loopDelayP99Ms: delay.percentile(99) / 1e6,
        loopDelayMaxMs: delay.max / 1e6,
        elu: performance.eventLoopUtilization(now, elu).utilization,
      };
      elu = now;
      delay.reset();
      send({ type: 'snapshot', snapshot });
    } else if (message.type === 'stop') {
      void server.stop().then(() => process.exit(0));
    }
  });
  send({ type: 'ready', port: server.port });
}

// ─── generator (worker thread) ──────────────────────────────────────────────────────────────────────────────────

interface GeneratorStep {
  readonly type: 'step';
  readonly step: number;
  readonly calls: number;
  readonly firstCall: number;
  readonly durationMs: number;
  readonly rampMs: number;
}

interface GeneratorResult {
  readonly ok: number;
  readonly failed: number;
  readonly errors: string[];
  readonly packets: number;
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  readonly loopDelayP99Ms: number;
}

function runGenerator(): void {
  const { url, transport } = workerData as { url: string; transport: 'udp' | 'tcp' };
  const logger = createLogger({ component: 'bench-generator' }, 'error');
  // A recognisable non-silent pattern; the content does not matter to the recorder's cost.
  const payload = new Uint8Array(SAMPLES_PER_PACKET).map((_, index) => 0x40 + (index % 32));
  const port = parentPort as NonNullable<typeof parentPort>;
  port.on('message', (step: GeneratorStep) => {
    const lag = createHistogram();
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    let started = 0;
    let settled = 0;
    let ok = 0;
    let failed = 0;
    let packets = 0;
    const errors: string[] = [];
    const markStarted = () => {
      started++;
      if (started === step.calls) port.postMessage({ type: 'started' });
    };
    const finish = () => {
      settled++;
      if (settled < step.calls) return;
      loop.disable();
      const result: GeneratorResult = {
        ok,
        failed,
        errors: errors.slice(0, 5),
        packets,
        lagP50Ms: lag.count ? lag.percentile(50) / 1000 : 0,
        lagP99Ms: lag.count ? lag.percentile(99) / 1000 : 0,
        lagMaxMs: lag.count ? lag.max / 1000 : 0,
        loopDelayP99Ms: loop.percentile(99) / 1e6,
      };
      port.postMessage({ type: 'done', result });
    };
    for (let index = 0; index < step.calls; index++) {
      const callId = `bench-${step.step}-${step.firstCall + index}`;
      let t0: number | undefined;
      setTimeout(
        () => {
          pushCall({
            url: `${url}/calls/${callId}`,
            transport,
            credentials: DEVICE,
            logger,
            codec: 'PCMU',
            metadata: { callId, extension: '2150', otherParty: '0212345678', direction: 'inbound', notices: [] },
            durationMs: step.durationMs,
            audio: (party, packet) => {
              const now = performance.now();
              if (party === 'official') {
                if (packet === 0) {
                  t0 = now;
                  markStarted();
                } else {
                  lag.record(Math.max(1, Math.round((now - ((t0 as number) + packet * 20)) * 1000)));
                }
              }
              packets++;
              return payload;
            },
          })
            .then(
              () => ok++,
              (error: unknown) => {
                failed++;
                if (t0 === undefined) markStarted();
                errors.push(error instanceof Error ? error.message : String(error));
              },
            )
            .finally(finish);
        },
        (index / step.calls) * step.rampMs,
      );
    }
  });
}

// ─── orchestrator ───────────────────────────────────────────────────────────────────────────────────────────────

const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const cores = os.cpus().length;

function pin(core: number): void {
  if (hasTaskset && cores > core) spawnSync('taskset', ['-apc', String(core), String(process.pid)], { stdio: 'ignore' });
}

function dirBytes(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += dirBytes(full);
    else {
      try {
        total += statSync(full).size;
      } catch {
        // Renamed from partial/ to its day folder in between.
      }
    }
  }
  return total;
}

function writeBytes(pid: number): number {
  try {
    const match = /^write_bytes: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return match ? Number(match[1]) : NaN;
  } catch {
    return NaN;
  }
}

class ServerProcess {
  private waiters: ((message: { type: string; port?: number; snapshot?: ServerSnapshot }) => void)[] = [];
  exited = false;
  constructor(readonly child: ChildProcess) {
    child.on('message', (message: { type: string }) => this.waiters.shift()?.(message));
    child.on('exit', (code) => {
      this.exited = true;
      for (const waiter of this.waiters.splice(0)) waiter({ type: 'exit', port: code ?? -1 });
    });
  }
  next(): Promise<{ type: string; port?: number; snapshot?: ServerSnapshot }> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  async snapshot(): Promise<ServerSnapshot> {
    const reply = this.next();
    this.child.send({ type: 'snapshot' });
    const message = await reply;
    if (!message.snapshot) throw new Error(`the server process died (${message.type})`);
    return message.snapshot;
  }
}

interface StepRow {
  calls: number;
  transport: string;
  expected: number;
  received: number;
  lost: number;
  failedCalls: number;
  cpuPerCallPct: number;
  cpuTotalPct: number;
  rssPerCallKiB: number;
  heapPerCallKiB: number;
  loopP99Ms: number;
  elu: number;
  fileMBps: number;
  diskMBps: number;
  genLagP99Ms: number;
  genLagMaxMs: number;
  genLoopP99Ms: number;
  realTime: boolean;
  /** Which side could not keep real time: 'generator', 'server', both, or '-'. */
  limit: string;
  zeroLoss: boolean;
  errors: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function runTransport(transport: 'udp' | 'tcp', steps: number[], stepMs: number, generators: number, dataRoot: string): Promise<StepRow[]> {
  const dataDir = mkdtempSync(path.join(dataRoot, `bench-capture-${transport}-`));
  const script = __filename;
  const child =
    hasTaskset && cores > 1
      ? fork(script, ['server'], {
          execPath: 'taskset',
          execArgv: ['-c', '1', process.execPath, '--expose-gc'],
          env: { ...process.env, BENCH_SERVER_DATA_DIR: dataDir, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '4' },
        })
      : fork(script, ['server'], { execArgv: ['--expose-gc'], env: { ...process.env, BENCH_SERVER_DATA_DIR: dataDir } });
  const server = new ServerProcess(child);
  const ready = await server.next();
  if (ready.type !== 'ready') throw new Error('the server process did not start');
  const url = `rtsp://127.0.0.1:${ready.port as number}`;
  const workers = Array.from({ length: generators }, () => new Worker(__filename, { workerData: { url, transport } }));
  for (const worker of workers)
    worker.on('error', (error) => {
      console.error('generator worker failed', error);
      process.exitCode = 1;
    });
  const rows: StepRow[] = [];
  try {
    await sleep(500);
    const idle = await server.snapshot();
    let callNumber = 0;
    for (const [stepIndex, calls] of steps.entries()) {
      const rampMs = Math.min(2000, Math.max(500, calls * 2));
      const shares = workers.map((_, index) => Math.floor(calls / generators) + (index < calls % generators ? 1 : 0));
      const started = workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            const listener = (message: { type: string }) => {
              if (message.type === 'started') {
                worker.off('message', listener);
                resolve();
              }
            };
            worker.on('message', listener);
          }),
      );
      const done = workers.map(
        (worker) =>
          new Promise<GeneratorResult>((resolve) => {
            const listener = (message: { type: string; result?: GeneratorResult }) => {
              if (message.type === 'done') {
                worker.off('message', listener);
                resolve(message.result as GeneratorResult);
              }
            };
            worker.on('message', listener);
          }),
      );
      const before = await server.snapshot();
      let first = callNumber;
      workers.forEach((worker, index) => {
        const share = shares[index] as number;
        if (share > 0)
          worker.postMessage({ type: 'step', step: stepIndex, calls: share, firstCall: first, durationMs: stepMs, rampMs } satisfies GeneratorStep);
        first += share;
      });
      callNumber = first;
      const active = workers.map((_, index) => (shares[index] as number) > 0);
      await Promise.all(started.filter((_, index) => active[index]));
      await sleep(500);
      const windowMs = Math.max(1000, stepMs - rampMs - 1500);
      const fileBytesA = dirBytes(dataDir);
      const diskA = writeBytes(child.pid as number);
      const a = await server.snapshot();
      await sleep(windowMs);
      const b = await server.snapshot();
      const fileBytesB = dirBytes(dataDir);
      const diskB = writeBytes(child.pid as number);
      const results = await Promise.all(done.filter((_, index) => active[index]));
      await sleep(300);
      const after = await server.snapshot();
      const seconds = (b.at - a.at) / 1000;
      const cpuMs = (b.cpu.user - a.cpu.user + b.cpu.system - a.cpu.system) / 1000;
      const cpuTotalPct = (cpuMs / (seconds * 1000)) * 100;
      const rtp = (key: keyof RtspServerStats['rtp']) => after.stats.rtp[key] - before.stats.rtp[key];
      const assembly = (key: keyof ServerSnapshot['assembly']) => after.assembly[key] - before.assembly[key];
      const failedCalls = results.reduce((sum, result) => sum + result.failed, 0);
      const sent = results.reduce((sum, result) => sum + result.packets, 0);
      const expected = calls * 2 * Math.ceil(stepMs / 20);
      const received = rtp('received');
      const lost =
        rtp('lost') +
        rtp('late') +
        rtp('duplicates') +
        rtp('malformed') +
        (after.stats.mediaDropped - before.stats.mediaDropped) +
        (after.stats.udpForeign - before.stats.udpForeign) +
        Math.ceil((assembly('droppedSamples') + assembly('paddedSamples') + assembly('lostAfterFailure')) / SAMPLES_PER_PACKET) +
        Math.max(0, expected - received - rtp('lost'));
      const genLagP99Ms = Math.max(...results.map((result) => result.lagP99Ms));
      const genLagMaxMs = Math.max(...results.map((result) => result.lagMaxMs));
      // Real time on both sides: the generator sent on schedule, the server was not saturated.
      const generatorKept = genLagP99Ms < 20;
      const serverKept = cpuTotalPct < 95 && b.loopDelayP99Ms < 100;
      const realTime = generatorKept && serverKept;
      const row: StepRow = {
        calls,
        transport,
        expected,
        received,
        lost,
        failedCalls,
        cpuPerCallPct: cpuTotalPct / calls,
        cpuTotalPct,
        rssPerCallKiB: (b.memory.rss - idle.memory.rss) / calls / 1024,
        heapPerCallKiB: (b.memory.heapUsed - idle.memory.heapUsed) / calls / 1024,
        loopP99Ms: b.loopDelayP99Ms,
        elu: b.elu,
        fileMBps: (fileBytesB - fileBytesA) / seconds / 1e6,
        diskMBps: (diskB - diskA) / seconds / 1e6,
        genLagP99Ms,
        genLagMaxMs,
        genLoopP99Ms: Math.max(...results.map((result) => result.loopDelayP99Ms)),
        realTime,
        limit: [generatorKept ? '' : 'generator', serverKept ? '' : 'server'].filter(Boolean).join('+') || '-',
        zeroLoss: lost === 0 && failedCalls === 0 && sent >= expected && assembly('failed') === 0,
        errors: results.flatMap((result) => result.errors).slice(0, 3),
      };
      rows.push(row);
      printRow(row);
      if (row.errors.length > 0) console.log(`    call errors: ${row.errors.join(' | ')}`);
      // Finished recordings are not needed: keep the disk small between steps.
      for (const entry of readdirSync(path.join(dataDir, 'recordings')))
        if (entry !== 'partial') rmSync(path.join(dataDir, 'recordings', entry), { recursive: true, force: true });
      if (!row.zeroLoss || !row.realTime) break;
      await sleep(1000);
    }
  } finally {
    for (const worker of workers) await worker.terminate();
    if (!server.exited) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      await Promise.race([exited, sleep(20_000)]);
      if (!server.exited) child.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}

const HEADER = [
  'calls',
  'transport',
  'pkts expected',
  'received',
  'lost',
  'failed calls',
  'srv CPU %',
  'CPU %/call',
  'ΔRSS KiB/call',
  'heap KiB/call',
  'srv loop p99 ms',
  'srv ELU',
  'rec MB/s',
  'disk MB/s',
  'gen lag p99/max ms',
  'gen loop p99 ms',
  'real time (limit)',
];

function printRow(row: StepRow): void {
  const cells = [
    String(row.calls),
    row.transport,
    String(row.expected),
    String(row.received),
    String(row.lost),
    String(row.failedCalls),
    row.cpuTotalPct.toFixed(1),
    row.cpuPerCallPct.toFixed(3),
    row.rssPerCallKiB.toFixed(1),
    row.heapPerCallKiB.toFixed(1),
    row.loopP99Ms.toFixed(1),
    row.elu.toFixed(2),
    row.fileMBps.toFixed(2),
    Number.isNaN(row.diskMBps) ? 'n/a' : row.diskMBps.toFixed(2),
    `${row.genLagP99Ms.toFixed(1)}/${row.genLagMaxMs.toFixed(1)}`,
    row.genLoopP99Ms.toFixed(1),
    row.realTime ? 'yes' : `NO (${row.limit})`,
  ];
  console.log(`| ${cells.join(' | ')} |`);
}

async function main(): Promise<void> {
  const maxCalls = Number(process.env.BENCH_MAX_CALLS ?? 1000);
  const stepMs = Number(process.env.BENCH_STEP_SECONDS ?? 10) * 1000;
  const generators = Math.max(1, Number(process.env.BENCH_GENERATORS ?? 2));
  const transports = (process.env.BENCH_TRANSPORTS ?? 'udp,tcp').split(',') as ('udp' | 'tcp')[];
  const ramp = process.env.BENCH_STEPS ? process.env.BENCH_STEPS.split(',').map(Number) : [50, 100, 200, 300, 400, 500, 600, 700, 800, 1000, 1200, 1500, 2000];
  const steps = ramp.filter((calls) => calls <= maxCalls);
  const dataRoot = process.env.BENCH_DATA_DIR ?? os.tmpdir();
  pin(0);
  console.log(
    `capture bench: ${cores} cores, server ${hasTaskset && cores > 1 ? 'pinned to core 1' : 'not pinned'}, ` +
      `${generators} generator worker thread(s) ${hasTaskset ? 'on core 0' : ''}, ${stepMs / 1000} s per step, ` +
      `PCMU 20 ms, ${PACKETS_PER_SECOND} packets/s per party, data under ${dataRoot}, node ${process.version}`,
  );
  console.log(
    '(lost = RTP lost + late + duplicates + dropped/foreign datagrams + assembly drops/padding in packets + not received; ' +
      'srv CPU % of one core over the steady window; ΔRSS over the idle server; rec MB/s = recording file growth, disk MB/s = /proc write_bytes)',
  );
  console.log(`| ${HEADER.join(' | ')} |`);
  console.log(`|${HEADER.map(() => '---').join('|')}|`);
  const all: StepRow[] = [];
  for (const transport of transports) all.push(...(await runTransport(transport, steps, stepMs, generators, dataRoot)));
  console.log('');
  for (const transport of transports) {
    const rows = all.filter((row) => row.transport === transport);
    const held = rows.filter((row) => row.zeroLoss && row.realTime);
    const best = held.at(-1);
    const maxHeld = best?.calls ?? 0;
    const ceiling = rows.length === held.length && rows.at(-1)?.calls === steps.at(-1) ? ' (ramp ended without loss: the limit is above this)' : '';
    console.log(`${transport}: max calls held with zero loss at real time: ${maxHeld}${ceiling}`);
    console.log(`  target ≥ ${TARGET_CALLS} calls on one core: ${maxHeld >= TARGET_CALLS ? 'ok' : 'MISSED'}`);
    const memory = best ? best.rssPerCallKiB * 1024 : NaN;
    console.log(
      `  target < 1 MiB per active call: ${best ? `${(memory / 1024).toFixed(1)} KiB RSS/call at ${best.calls} calls — ${memory < TARGET_BYTES_PER_CALL ? 'ok' : 'MISSED'}` : 'n/a MISSED'}`,
    );
    if (best)
      console.log(
        `  at ${best.calls} calls: server CPU ${best.cpuTotalPct.toFixed(1)} % of a core (${best.cpuPerCallPct.toFixed(3)} %/call), recordings ${best.fileMBps.toFixed(2)} MB/s, generator lag p99 ${best.genLagP99Ms.toFixed(1)} ms`,
      );
    const stop = rows.at(-1);
    if (stop && stop !== best) {
      const why = [
        !stop.zeroLoss ? `lost ${stop.lost} packets, ${stop.failedCalls} failed calls` : '',
        !stop.realTime
          ? `${stop.limit} could not keep real time (server CPU ${stop.cpuTotalPct.toFixed(0)} %, server loop p99 ${stop.loopP99Ms.toFixed(0)} ms, generator lag p99 ${stop.genLagP99Ms.toFixed(0)} ms)`
          : '',
      ]
        .filter(Boolean)
        .join('; ');
      console.log(`  stopped at ${stop.calls} calls: ${why}`);
    }
  }
}

if (!isMainThread) runGenerator();
else if (process.argv[2] === 'server') {
  runServer().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
