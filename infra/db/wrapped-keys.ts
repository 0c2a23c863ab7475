/**
 * The tables that hold data keys wrapped by the master key, found from the ORM's metadata (every entity with a
 * `wrappedKey` property), so a table added later is rotated (ops/key-rotation.ts) and vacuumed
 * (activities/database-maintenance.ts) without anyone remembering to list it.
 */
import type { EntityName, MikroORM } from '@mikro-orm/core';

export interface KeyRow {
  id: string;
  wrappedKey: string;
}

export function wrappedKeyEntities(orm: MikroORM): { table: string; entity: EntityName<KeyRow>; tombstones: boolean }[] {
  return Object.values(orm.getMetadata().getAll())
    .filter((meta) => !meta.abstract && !meta.embeddable && meta.properties.wrappedKey !== undefined)
    .map((meta) => ({
      table: meta.tableName,
      entity: meta.class,
      // A deleted recording's key is gone; a row marked deleted but still holding one is never re-wrapped either.
      tombstones: meta.properties.deletedAt !== undefined,
    }))
    .sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
}
