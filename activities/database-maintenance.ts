/**
 * The daily vacuum of the tables that held wrapped keys (issue 19): what a deletion cleared from a row also leaves
 * the database's files (infra/db/key-remnants.ts says where it lingers and how each database is made to let go of
 * it). One audit entry per workflow run, however often the activity is retried.
 */
import type { MikroORM } from '@mikro-orm/core';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { AuditEvent } from '../infra/db/entities';
import { scrubKeyRemnants, type KeyRemnantScrub } from '../infra/db/key-remnants';

export interface DatabaseMaintenanceActivityDeps {
  orm: MikroORM;
}

export interface VacuumKeyTablesInput {
  /** `<workflow id>/<run id>`: the audit entry's target, written once per run. */
  run: string;
}

export type { KeyRemnantScrub };

export function createDatabaseMaintenanceActivities({ orm }: DatabaseMaintenanceActivityDeps) {
  return {
    async vacuumKeyTables(input: VacuumKeyTablesInput): Promise<KeyRemnantScrub> {
      const done = await scrubKeyRemnants(orm);
      await orm.em.fork().transactional(async (tx) => {
        if ((await tx.count(AuditEvent, { action: 'database.vacuumed', targetId: input.run })) > 0) return;
        await appendAuditEvent(tx, {
          actor: 'system:maintenance',
          role: 'system',
          sourceAddress: 'worker',
          action: 'database.vacuumed',
          targetType: 'database',
          targetId: input.run,
          reason: '삭제된 녹취 키의 잔존 제거',
          detail: { ...done },
        });
      });
      return done;
    },
  };
}
