import type { EntityManager } from '@mikro-orm/core';
import { Department } from '../infra/db/entities';
import type { Principal } from './access';

/** The department a principal belongs to, from the directory's department path (null if the system does not know it). */
export async function departmentOf(em: EntityManager, principal: Principal): Promise<Department | null> {
  const name = principal.departmentPath.at(-1);
  return name ? em.findOne(Department, { name }) : null;
}
