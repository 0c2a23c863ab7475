/**
 * `npm run replay -- …`: replays workflow histories against the workflow code as it is now, and reports for each one
 * whether the code still makes the same decisions (ok) or not (the nondeterminism found). For audits of closed cases,
 * and before deploying a workflow change: a change that fails here would break the cases still running.
 *
 * Where the histories come from (combine as needed):
 *   --workflow-id <id>            that workflow's latest run, from Temporal (repeatable)
 *   --management-number <번호>    that disclosure case (관리번호 YYYY-NNNN): its archived histories, or Temporal's
 *   --type <WorkflowType>         closed runs of that type, from Temporal (with --since/--until)
 *   --archived                    the archived histories in the database (with --type, --since/--until to narrow)
 *   --files <file|folder>         history JSON files (e.g. test/histories), no server needed
 *   --since, --until <ISO date>   the close time range for --type and --archived
 * Exit code 0 when every history replays, 1 when one does not, 2 when they could not be read.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { FilterQuery, MikroORM } from '@mikro-orm/core';
import { ArchivedHistory, DisclosureRequest } from '../../infra/db/entities';
import { initOrm } from '../../infra/db/orm';
import { createDocumentStore } from '../../infra/documents/document-store';
import { loadMasterKey } from '../../infra/keys';
import { loadSettings, type Settings } from '../../infra/settings';
import { connectClient } from '../../infra/temporal/connection';
import { decodeHistory, decodeHistoryFile, fetchClosedHistory, replayHistories, type NamedHistory } from '../../infra/temporal/history';
import { runCommand } from './run-command';

class UsageError extends Error {}

const { values } = parseArgs({
  options: {
    'workflow-id': { type: 'string', multiple: true, default: [] },
    'management-number': { type: 'string', multiple: true, default: [] },
    type: { type: 'string' },
    archived: { type: 'boolean', default: false },
    files: { type: 'string', multiple: true, default: [] },
    since: { type: 'string' },
    until: { type: 'string' },
  },
  strict: true,
});

function date(value: string | undefined, label: string): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) throw new UsageError(`${label}이(가) 날짜가 아닙니다: ${value}`);
  return parsed;
}

function fromFiles(target: string): NamedHistory[] {
  if (!existsSync(target)) throw new UsageError(`파일이나 폴더가 없습니다: ${target}`);
  const files = statSync(target).isDirectory()
    ? readdirSync(target)
        .filter((name) => name.endsWith('.json'))
        .sort()
        .map((name) => path.join(target, name))
    : [target];
  return files.map((file) => decodeHistoryFile(path.relative(process.cwd(), file), readFileSync(file)));
}

async function fromTemporal(client: Client, workflowId: string): Promise<NamedHistory[]> {
  const closed = await fetchClosedHistory(client, workflowId);
  // A running workflow replays too: its history so far must still fit the code.
  const history = closed?.history ?? (await client.workflow.getHandle(workflowId).fetchHistory());
  return [{ name: workflowId, workflowId, history }];
}

async function fromTemporalList(client: Client, type: string, since?: Date, until?: Date): Promise<NamedHistory[]> {
  const conditions = [`WorkflowType = '${type.replace(/'/g, '')}'`, `ExecutionStatus != 'Running'`];
  if (since) conditions.push(`CloseTime >= '${since.toISOString()}'`);
  if (until) conditions.push(`CloseTime < '${until.toISOString()}'`);
  const histories: NamedHistory[] = [];
  for await (const execution of client.workflow.list({ query: conditions.join(' AND ') })) {
    histories.push({
      name: `${execution.workflowId} (${execution.runId})`,
      workflowId: execution.workflowId,
      history: await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory(),
    });
  }
  return histories;
}

async function fromArchive(orm: MikroORM, settings: Settings, filter: FilterQuery<ArchivedHistory>): Promise<NamedHistory[]> {
  const documents = createDocumentStore({ dataDir: settings.dataDir, masterKey: loadMasterKey(settings) });
  const rows = await orm.em.fork().find(ArchivedHistory, filter, { populate: ['wrappedKey'], orderBy: { closedAt: 'asc' } });
  return rows.map((row) => ({
    name: `${row.workflowId} (보관 ${row.id})`,
    workflowId: row.workflowId,
    history: decodeHistory(documents.get(row.id, row.wrappedKey)),
  }));
}

async function main(): Promise<number> {
  const since = date(values.since, '--since');
  const until = date(values.until, '--until');
  const numbers = values['management-number'];
  for (const number of numbers) if (!/^\d{4}-\d{4}$/.test(number)) throw new UsageError(`관리번호는 YYYY-NNNN 형식입니다: ${number}`);
  if (!values['workflow-id'].length && !numbers.length && !values.type && !values.archived && !values.files.length) {
    throw new UsageError('무엇을 재실행할지 고르십시오: --workflow-id, --management-number, --type, --archived, --files (README 참조)');
  }
  const histories: NamedHistory[] = values.files.flatMap(fromFiles);
  const needsDatabase = values.archived || numbers.length > 0;
  const needsTemporal = values['workflow-id'].length > 0 || (values.type !== undefined && !values.archived);
  const settings = needsDatabase || needsTemporal ? loadSettings() : undefined;
  const orm = needsDatabase ? await initOrm(settings!) : undefined;
  let client: Client | undefined;
  const temporal = async () => (client ??= await connectClient(settings!));
  try {
    for (const id of values['workflow-id']) histories.push(...(await fromTemporal(await temporal(), id)));
    for (const number of numbers) {
      const request = await orm!.em.fork().findOne(DisclosureRequest, { managementNumber: number });
      if (!request) throw new UsageError(`관리번호 ${number}인 신청이 없습니다.`);
      const archived = await fromArchive(orm!, settings!, { caseType: 'disclosure_request', caseId: request.id });
      histories.push(...(archived.length ? archived : await fromTemporal(await temporal(), request.workflowId)));
    }
    if (values.archived) {
      const filter: FilterQuery<ArchivedHistory> = {};
      if (values.type) filter.workflowType = values.type;
      if (since || until) filter.closedAt = { ...(since ? { $gte: since } : {}), ...(until ? { $lt: until } : {}) };
      histories.push(...(await fromArchive(orm!, settings!, filter)));
    } else if (values.type) {
      histories.push(...(await fromTemporalList(await temporal(), values.type, since, until)));
    }
  } finally {
    await orm?.close(true);
    await client?.connection.close();
  }
  if (histories.length === 0) {
    process.stdout.write('재실행할 이력이 없습니다.\n');
    return 0;
  }
  // The replay worker's progress lines would drown the report; its warnings and errors still show.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const outcomes = await replayHistories(histories);
  for (const outcome of outcomes) {
    process.stdout.write(
      outcome.ok
        ? `정상      ${outcome.workflowType}  ${outcome.name}\n`
        : `불일치    ${outcome.workflowType}  ${outcome.name}\n          ${outcome.problem!.kind === 'nondeterminism' ? '비결정성(nondeterminism)' : '재실행 오류'}: ${outcome.problem!.message}\n`,
    );
  }
  const failed = outcomes.filter((outcome) => !outcome.ok).length;
  process.stdout.write(`\n${outcomes.length}건 재실행: 정상 ${outcomes.length - failed}건, 불일치 ${failed}건\n`);
  return failed === 0 ? 0 : 1;
}

runCommand(main, '이력을 재실행하지 못했습니다', { explain: (error) => (error instanceof UsageError ? `사용법: ${error.message}` : undefined) });
