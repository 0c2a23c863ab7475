/**
 * The SMTP relay of the mail suite: test/support/smtp-server-process.ts as a child process on a free loopback port,
 * which a test stops and starts again on the same port (the same SMTP_URL) to play a relay that goes away and comes
 * back. Messages it accepted are read back raw and parsed by mailparser, as a recipient's mail program would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { freePort } from './ports';

const SCRIPT = path.join(__dirname, '..', '..', 'dist', 'test', 'support', 'smtp-server-process.js');
const START_TIMEOUT_MS = 10_000;

export interface ReceivedMail {
  envelope: { mailFrom: string | null; rcptTo: string[] };
  /** The message exactly as the server received it. */
  raw: Buffer;
  parsed: ParsedMail;
}

export interface TestSmtpServer {
  readonly url: string;
  readonly port: number;
  /** Every message accepted since the server was first started, oldest first. */
  messages(): Promise<ReceivedMail[]>;
  /** Kills the server (SIGKILL, as a relay that vanishes) and waits until the port is closed. */
  stop(): Promise<void>;
  /** Starts it again on the same port, keeping the messages received so far. */
  start(): Promise<void>;
  close(): Promise<void>;
}

async function spawnServer(port: number, mailDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [SCRIPT], {
    env: { ...process.env, SMTP_PORT: String(port), MAIL_DIR: mailDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    let stdout = '';
    const onOutput = (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!stdout.includes('listening\n')) return;
      settle();
      resolve();
    };
    const fail = (reason: string) => {
      settle();
      child.kill('SIGKILL');
      reject(new Error(`${reason}${stderr ? `: ${stderr}` : ''}`));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => fail(`the SMTP server exited (code ${code}, signal ${signal})`);
    const timer = setTimeout(() => fail(`the SMTP server did not start within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const settle = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onOutput);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onOutput);
    child.once('exit', onExit);
  });
  return child;
}

export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing: build first (npx tsc -p tsconfig.json; npm test does)`);
  const mailDir = mkdtempSync(path.join(os.tmpdir(), 'smtp-received-'));
  const port = await freePort();
  let child: ChildProcess | undefined = await spawnServer(port, mailDir);

  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL');
    await exited;
  };

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    async messages() {
      const names = readdirSync(mailDir)
        .filter((name) => name.endsWith('.eml'))
        .sort();
      return Promise.all(
        names.map(async (name) => {
          const raw = readFileSync(path.join(mailDir, name));
          const envelope = JSON.parse(readFileSync(path.join(mailDir, name.replace(/\.eml$/, '.json')), 'utf8')) as ReceivedMail['envelope'];
          return { envelope, raw, parsed: await simpleParser(raw) };
        }),
      );
    },
    stop,
    async start() {
      if (child) throw new Error('the SMTP server is already running');
      child = await spawnServer(port, mailDir);
    },
    async close() {
      await stop();
      rmSync(mailDir, { recursive: true, force: true });
    },
  };
}
