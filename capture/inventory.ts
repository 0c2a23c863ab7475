/**
 * The appliance's part of the daily retention inventory (issue 19): a walk of every file the recording store holds,
 * compared with the database, reporting every copy of a call's audio that is past its due time plus the grace hour
 * and not under a valid hold — a registered recording the retention run has not deleted, an unregistered one the
 * reconciliation has not destroyed, a deleted recording (or destroyed unregistered one) whose file survived, and a file
 * nothing accounts for (an orphan, its due time from its header's call start, or its last change when the header
 * cannot be read). The back office's inventory workflow asks for it through the control API (`POST /inventory`, the
 * worker's token) and walks the database itself.
 *
 * Bounded for 1.5 million files: the walk goes folder by folder in name order (one folder's names in memory at a time,
 * a day's calls at most), the database is asked per batch of files by id (the store's id is the recording row's id,
 * capture/registration.ts; a row from before that, or an orphan, is looked for by the call id in the file's header),
 * only the first findings are listed (all are counted), and a part of the walk stops after its time budget and says
 * where to go on (`next`), so no request outlasts a client's patience and a run is resumed rather than repeated.
 *
 * Read-only: it never deletes. What it finds is the retention run's and the reconciliation's to destroy, or a person's.
 */
import type { Dirent } from 'node:fs';
import { open as openFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import { unwrapKey } from '../infra/crypto/envelope';
import { holdInForce, Recording, RecordingHold, UnregisteredRecording } from '../infra/db/entities';
import type { LegalCalendar } from '../domain/legal-period';
import type { Period } from '../domain/period';
import type { InventoryCounts, InventoryFinding, InventoryReport, InventoryRequest } from './control-contract';
import { isNotFound, JOURNAL_FOLDER, PARTIAL_FOLDER, PARTIAL_NAME, readHeader, readInfo, STORAGE_KEY_PATTERN } from './recording-store';

/** The grace after a due time before audio still there is a finding: the retention runs delete within the hour. */
export const INVENTORY_GRACE_MS = 60 * 60_000;
export const INVENTORY_DEFAULT_BUDGET_MS = 60_000;
/** Under the five minutes a fetch waits for an answer's headers, with room for the batch under way. */
export const INVENTORY_MAX_BUDGET_MS = 180_000;
export const INVENTORY_DEFAULT_FINDINGS = 1_000;
export const INVENTORY_MAX_FINDINGS = 10_000;
/** Files judged together: one query per kind of row per batch. */
const BATCH_FILES = 500;

export interface InventoryOptions {
  readonly dataDir: string;
  readonly masterKey: Buffer;
  readonly orm: MikroORM;
  readonly calendar: LegalCalendar;
  readonly retentionPeriod: Period;
  /** A `.partial` changed more recently than this is a call being recorded, not judged. */
  readonly sessionTimeoutMs: number;
  /** True once the appliance is stopping: the part under way ends after its batch, like a part out of time. */
  readonly stopping?: () => boolean;
}

interface StoreFile {
  /** Path segments under the store's folder. */
  readonly segments: readonly string[];
  /** `/`-joined segments: what a finding and the cursor name. */
  readonly relative: string;
  readonly absolute: string;
  readonly kind: InventoryFinding['file'];
  readonly recordingId: string | null;
}

/** What a file's header says, read with the header's own copy of the key. */
interface HeaderFacts {
  readonly modifiedAt: Date;
  readonly startedAt?: Date;
  readonly callId?: string;
  /** Why the header gave no call start. */
  readonly problem?: string;
}

type RowView = Pick<Recording, 'id' | 'storageKey' | 'retentionDueAt' | 'deletedAt' | 'startedAt' | 'callId'>;
const ROW_FIELDS = ['id', 'storageKey', 'retentionDueAt', 'deletedAt', 'startedAt', 'callId'] as const;

const byName = (a: Dirent, b: Dirent) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Every file under `root` in path order (segment by segment, by name), after the `after` path if given; the journal
 * folder is left out (it names files, it holds no audio). One folder's entries are read at a time.
 */
export async function* walkStore(root: string, after?: readonly string[]): AsyncGenerator<string[]> {
  async function* visit(folders: string[], resume: readonly string[] | undefined): AsyncGenerator<string[]> {
    let entries: Dirent[];
    try {
      entries = await readdir(path.join(root, ...folders), { withFileTypes: true });
    } catch (error) {
      // Gone since its parent was listed (a day folder emptied), or never made (a new store).
      if (isNotFound(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw error;
    }
    entries.sort(byName);
    let constraint = resume;
    for (const entry of entries) {
      if (folders.length === 0 && entry.name === JOURNAL_FOLDER) continue;
      const segments = [...folders, entry.name];
      if (constraint) {
        const [first, ...rest] = constraint as [string, ...string[]];
        if (entry.name < first) continue;
        if (entry.name === first) {
          constraint = undefined;
          // The path walked last, or a folder on the way to it: go on inside it; a file of that name was done.
          if (entry.isDirectory()) yield* visit(segments, rest.length > 0 ? rest : undefined);
          continue;
        }
        constraint = undefined;
      }
      if (entry.isDirectory()) yield* visit(segments, undefined);
      else if (entry.isFile()) yield segments;
    }
  }
  yield* visit([], after);
}

function storeFile(root: string, segments: string[]): StoreFile {
  const relative = segments.join('/');
  const base = { segments, relative, absolute: path.join(root, ...segments) };
  const recording = STORAGE_KEY_PATTERN.exec(relative)?.[1];
  if (recording !== undefined) return { ...base, kind: 'recording', recordingId: recording };
  const partial = segments.length === 2 && segments[0] === PARTIAL_FOLDER ? PARTIAL_NAME.exec(segments[1] as string)?.[1] : undefined;
  if (partial !== undefined) return { ...base, kind: 'partial', recordingId: partial };
  return { ...base, kind: 'other', recordingId: null };
}

/** The header's call start and call id, or why not; undefined when the file is gone. */
async function headerFacts(file: string, masterKey: Buffer): Promise<HeaderFacts | undefined> {
  let handle;
  try {
    handle = await openFile(file, 'r');
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  try {
    const stats = await handle.stat();
    const modifiedAt = new Date(stats.mtimeMs);
    try {
      const header = await readHeader(handle, stats.size, file);
      if (header === undefined) return { modifiedAt, problem: '머리가 잘린 파일' };
      const dataKey = unwrapKey(header.wrappedKey, masterKey);
      try {
        const info = readInfo(header, dataKey);
        const callId = info.metadata.callId;
        const startedAt = Number.isNaN(info.startedAt.getTime()) ? undefined : info.startedAt;
        return { modifiedAt, startedAt, callId: typeof callId === 'string' ? callId : undefined, ...(startedAt ? {} : { problem: '통화 시작 시각 없음' }) };
      } finally {
        dataKey.fill(0);
      }
    } catch (error) {
      // A header zeroed by an interrupted destruction, another key, a file that is no recording: its date must do.
      return { modifiedAt, problem: error instanceof Error ? error.message : String(error) };
    }
  } finally {
    await handle.close();
  }
}

const emptyCounts = (): InventoryCounts => ({
  files: 0,
  recordings: 0,
  partials: 0,
  others: 0,
  livePartials: 0,
  registered: 0,
  unregistered: 0,
  tombstoned: 0,
  orphans: 0,
  unreadable: 0,
  held: 0,
  findings: 0,
});

const FILE_COUNT = { recording: 'recordings', partial: 'partials', other: 'others' } as const;

/** The inventory's walk: one part per call (see the module comment). */
export function createInventory(options: InventoryOptions): (request: InventoryRequest & { asOf: Date }) => Promise<InventoryReport> {
  const { orm, calendar, retentionPeriod, masterKey } = options;
  const root = path.join(path.resolve(options.dataDir), 'recordings');
  const dueOf = (startedAt: Date) => calendar.retentionDueAt(startedAt, retentionPeriod);

  return async (request) => {
    const asOf = request.asOf;
    const overdue = (due: Date) => due.getTime() + INVENTORY_GRACE_MS <= asOf.getTime();
    const budgetMs = Math.min(request.budgetMs ?? INVENTORY_DEFAULT_BUDGET_MS, INVENTORY_MAX_BUDGET_MS);
    const maxFindings = Math.min(request.maxFindings ?? INVENTORY_DEFAULT_FINDINGS, INVENTORY_MAX_FINDINGS);
    const counts = emptyCounts();
    const findings: InventoryFinding[] = [];
    const find = (file: StoreFile, finding: Omit<InventoryFinding, 'recordingId' | 'storageKey' | 'file'>) => {
      counts.findings++;
      if (findings.length < maxFindings) findings.push({ recordingId: file.recordingId, storageKey: file.relative, file: file.kind, ...finding });
    };

    /** A deleted recording's (or destroyed unregistered one's) file: always a finding, its audio should be gone. */
    const tombstone = (file: StoreFile, dueAt: Date, dueFrom: 'recording' | 'unregistered', reason: string) => {
      counts.tombstoned++;
      find(file, { kind: 'tombstone_file', dueAt: dueAt.toISOString(), dueFrom, reason });
    };

    /** A file nothing accounts for, judged by the due time its header or its date gives it. */
    const orphan = (file: StoreFile, facts: HeaderFacts) => {
      counts.orphans++;
      if (!facts.startedAt) counts.unreadable++;
      const due = dueOf(facts.startedAt ?? facts.modifiedAt);
      if (!overdue(due)) return;
      const what = { recording: '등록되지 않은 녹취 파일', partial: '복구되지 않은 녹음 중 파일 (.partial)', other: '녹취 저장소의 알 수 없는 파일' }[
        file.kind
      ];
      find(file, {
        kind: 'orphan',
        dueAt: due.toISOString(),
        dueFrom: facts.startedAt ? 'header' : 'file_modified',
        reason: facts.startedAt
          ? `${what}: 녹취정보도 미등록 목록에도 없음 (보존기간은 파일 머리의 통화 시작 시각부터)`
          : `${what}: 녹취정보도 미등록 목록에도 없고 파일 머리를 읽을 수 없음 (${facts.problem ?? '알 수 없음'}; 보존기간은 파일 수정 시각부터)`,
      });
    };

    /** Judges one batch: by id first (rows and unregistered rows), then by the header's call id for the rest. */
    const judge = async (batch: StoreFile[]) => {
      const em: EntityManager = orm.em.fork({ clear: true });
      const ids = [...new Set(batch.flatMap((file) => (file.recordingId ? [file.recordingId] : [])))];
      const rows = new Map<string, RowView>();
      const unregistered = new Map<string, UnregisteredRecording>();
      if (ids.length > 0) {
        for (const row of await em.find(Recording, { id: { $in: ids } }, { fields: [...ROW_FIELDS] })) rows.set(row.id, row);
        for (const row of await em.find(UnregisteredRecording, { id: { $in: ids } })) unregistered.set(row.id, row);
      }
      /** Registered recordings past due and the grace: findings unless a valid hold keeps them. */
      const pastDue: { file: StoreFile; row: RowView }[] = [];
      const unmatched: StoreFile[] = [];
      const accountFor = (file: StoreFile, row: RowView) => {
        if (row.deletedAt) return tombstone(file, row.retentionDueAt, 'recording', '삭제된 녹취정보의 파일이 남아 있음');
        counts.registered++;
        if (overdue(row.retentionDueAt)) pastDue.push({ file, row });
      };
      for (const file of batch) {
        const row = file.recordingId ? rows.get(file.recordingId) : undefined;
        // The row's own file, or (a tombstone has no key left) the file of a row that was deleted.
        if (row && file.kind === 'recording' && (row.storageKey === file.relative || (row.deletedAt && !row.storageKey))) {
          accountFor(file, row);
          continue;
        }
        const kept = file.recordingId ? unregistered.get(file.recordingId) : undefined;
        if (kept?.destroyedAt) {
          tombstone(file, kept.retentionDueAt, 'unregistered', '삭제한 미등록 녹취의 파일이 남아 있음');
          continue;
        }
        if (kept && !kept.registeredAt) {
          counts.unregistered++;
          if (overdue(kept.retentionDueAt)) {
            find(file, {
              kind: 'unregistered_past_due',
              dueAt: kept.retentionDueAt.toISOString(),
              dueFrom: 'unregistered',
              reason: `보존기간이 지난 미등록 녹취 (${kept.reason})`,
            });
          }
          continue;
        }
        unmatched.push(file);
      }
      // Files not known by their id: a row registered before rows took the store's id, or nothing at all.
      const facts = new Map<StoreFile, HeaderFacts>();
      for (const file of unmatched) {
        const read = await headerFacts(file.absolute, masterKey);
        if (read) facts.set(file, read);
      }
      const callIds = [...new Set([...facts.values()].flatMap((read) => (read.callId ? [read.callId] : [])))];
      const byCall = new Map<string, RowView>();
      if (callIds.length > 0)
        for (const row of await em.find(Recording, { callId: { $in: callIds } }, { fields: [...ROW_FIELDS] })) byCall.set(row.callId, row);
      for (const [file, read] of facts) {
        const row = read.callId ? byCall.get(read.callId) : undefined;
        const same =
          row &&
          file.kind === 'recording' &&
          (row.storageKey === file.relative || (row.deletedAt && !row.storageKey && row.startedAt.getTime() === read.startedAt?.getTime()));
        if (row && same) accountFor(file, row);
        else orphan(file, read);
      }
      if (pastDue.length > 0) {
        const held = new Set(
          (
            await em.find(RecordingHold, { $and: [{ recording: { $in: pastDue.map(({ row }) => row.id) } }, holdInForce(asOf)] }, { fields: ['recording'] })
          ).map((hold) => hold.recording.id),
        );
        for (const { file, row } of pastDue) {
          if (held.has(row.id)) {
            counts.held++;
            continue;
          }
          find(file, {
            kind: 'past_due',
            dueAt: row.retentionDueAt.toISOString(),
            dueFrom: 'recording',
            reason: '보존기간과 유예 1시간이 지났는데 삭제되지 않은 녹취 (보존 중지 없음)',
          });
        }
      }
    };

    const started = Date.now();
    const from = request.after ?? null;
    const files = walkStore(root, request.after?.split('/'));
    let batch: StoreFile[] = [];
    let last: string | null = null;
    let next: string | null = null;
    try {
      for (;;) {
        const item = await files.next();
        if (item.done) break;
        // Out of time, and there is more: the next part starts after the last file done (at least one always is).
        if (last !== null && batch.length === 0 && (Date.now() - started >= budgetMs || options.stopping?.())) {
          next = last;
          break;
        }
        const file = storeFile(root, item.value);
        if (file.kind === 'partial') {
          const modified = await stat(file.absolute).then(
            (stats) => new Date(stats.mtimeMs),
            () => undefined,
          );
          // Gone (finished or recovered since it was listed), or a call being recorded now: nothing to judge.
          if (!modified || asOf.getTime() - modified.getTime() < options.sessionTimeoutMs) {
            if (modified) counts.livePartials++;
            if (batch.length === 0) last = file.relative;
            continue;
          }
        }
        counts.files++;
        counts[FILE_COUNT[file.kind]]++;
        batch.push(file);
        if (batch.length >= BATCH_FILES) {
          await judge(batch);
          last = (batch.at(-1) as StoreFile).relative;
          batch = [];
        }
      }
      if (batch.length > 0) {
        await judge(batch);
        last = (batch.at(-1) as StoreFile).relative;
      }
    } finally {
      await files.return(undefined);
    }
    return { asOf: asOf.toISOString(), graceMs: INVENTORY_GRACE_MS, from, next, counts, findings, findingsTruncated: counts.findings > findings.length };
  };
}
