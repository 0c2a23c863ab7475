/**
 * Every history in test/histories — real runs recorded from the workflow suites (RECORD_HISTORIES, see README) —
 * replays against the workflow code as it is now. A change that would make a running case decide differently fails
 * here, in CI, before it reaches the cases. And the replay does catch such a change: a history whose recorded
 * decision no longer matches the code is reported as nondeterminism, by the library and by `npm run replay`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  decodeHistory,
  decodeHistoryFile,
  encodeHistory,
  encodeHistoryFile,
  historyFacts,
  replayHistories,
  type NamedHistory,
} from '../../infra/temporal/history';
import { installQuietRuntime } from '../support/temporal';

const FOLDER = path.resolve(__dirname, '..', 'histories');
const REPLAY_CLI = path.resolve(__dirname, '..', '..', 'dist', 'ops', 'cli', 'replay.js');
const committed: NamedHistory[] = readdirSync(FOLDER)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => decodeHistoryFile(name, readFileSync(path.join(FOLDER, name))));

let scratch: string;
beforeAll(() => {
  installQuietRuntime();
  scratch = mkdtempSync(path.join(os.tmpdir(), 'replay-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The provision case with one recorded activity renamed: what a changed workflow would look like to its history. */
function tampered(): NamedHistory {
  const original = committed.find(({ name }) => name.startsWith('disclosure--provision') && name.includes('disclosureWorkflow'))!;
  const history = decodeHistory(encodeHistory(original.history).json);
  const scheduled = history.events!.find((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'confirmDisclosureRecordings')!;
  scheduled.activityTaskScheduledEventAttributes!.activityType!.name = 'confirmRecordingsSomehowElse';
  return { name: 'tampered-provision', workflowId: original.workflowId, history };
}

test('the committed histories cover every lifecycle and replay against the current workflow code', async () => {
  const types = new Set(committed.map(({ history }) => historyFacts(history).workflowType));
  expect([...types].sort()).toEqual([
    'accessReviewWorkflow',
    'databaseVacuumWorkflow',
    'deadlineRemindersWorkflow',
    'disclosureWorkflow',
    'fullRecordingWorkflow',
    'retentionDayWorkflow',
    'retentionSweepWorkflow',
  ]);
  const outcomes = await replayHistories(committed);
  expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
  expect(outcomes).toHaveLength(committed.length);
}, 120_000);

test('a history the code would no longer produce is reported as nondeterminism, naming what differs', async () => {
  const [outcome] = await replayHistories([tampered()]);
  expect(outcome).toMatchObject({ name: 'tampered-provision', workflowType: 'disclosureWorkflow', ok: false, problem: { kind: 'nondeterminism' } });
  expect(outcome!.problem!.message).toContain('confirmRecordingsSomehowElse');
}, 60_000);

test('`npm run replay -- --files` reports each history and fails on the changed one', () => {
  const ok = spawnSync(process.execPath, [REPLAY_CLI, '--files', FOLDER], { encoding: 'utf8', timeout: 120_000 });
  expect(ok.status).toBe(0);
  expect(ok.stdout).toContain(`${committed.length}건 재실행: 정상 ${committed.length}건, 불일치 0건`);
  const folder = path.join(scratch, 'mixed');
  mkdirSync(folder);
  const one = committed.find(({ name }) => name.startsWith('full-recording'))!;
  writeFileSync(path.join(folder, 'a-full-recording.json'), encodeHistoryFile(one.workflowId, 'run', one.history));
  const changed = tampered();
  writeFileSync(path.join(folder, 'b-tampered.json'), encodeHistoryFile(changed.workflowId, 'run', changed.history));
  const mixed = spawnSync(process.execPath, [REPLAY_CLI, '--files', folder], { encoding: 'utf8', timeout: 120_000 });
  expect(mixed.status).toBe(1);
  expect(mixed.stdout).toMatch(/정상\s+fullRecordingWorkflow/);
  expect(mixed.stdout).toMatch(/불일치\s+disclosureWorkflow[^\n]*b-tampered\.json\n\s+비결정성\(nondeterminism\)/);
  expect(mixed.stdout).toContain('2건 재실행: 정상 1건, 불일치 1건');
  const usage = spawnSync(process.execPath, [REPLAY_CLI], { encoding: 'utf8' });
  expect(usage.status).toBe(2);
  expect(usage.stderr).toContain('무엇을 재실행할지 고르십시오');
}, 240_000);
