/**
 * The demo organisation of the embedded development system: the departments and extensions of the built-in
 * development directory's demo users (infra/directory/development-directory.ts), so that `npm start` has
 * extensions for the call generator to ring and staff who find their own calls. Added once, to an empty
 * organisation table; never in production, where the organisation comes from the city's own data.
 */
import type { EntityManager } from '@mikro-orm/core';
import { DEMO_USERS } from '../directory/development-directory';
import { Department, Extension } from './entities';

/** Directory department name → department code. */
const DEPARTMENTS: readonly { code: string; name: string; managing?: true }[] = [
  { code: 'it', name: '정보통신과', managing: true },
  { code: 'welfare', name: '복지정책과' },
];
/**
 * Welfare handles the interest-related complaints Art. 6(2) names: its head's extension plays the PBX's announcement.
 * It records selectively like the others: full recording needs an approved application (issue 18), which a newcomer
 * can file and approve in the demo to see it switched.
 */
const ANNOUNCEMENT_EXTENSIONS = new Set(['02-2680-1200']);

export interface DevelopmentOrganisation {
  readonly departments: ReadonlyMap<string, Department>;
  /** By the owner's user name. */
  readonly extensions: ReadonlyMap<string, Extension>;
}

/** Creates the demo organisation if there is no department yet; returns what it created (empty maps otherwise). */
export async function seedDevelopmentOrganisation(em: EntityManager): Promise<DevelopmentOrganisation> {
  const departments = new Map<string, Department>();
  const extensions = new Map<string, Extension>();
  if ((await em.count(Department, {})) > 0) return { departments, extensions };
  for (const spec of DEPARTMENTS) {
    const department = new Department(spec.code, spec.name, 'department');
    department.isManagingDepartment = spec.managing === true;
    departments.set(spec.name, department);
  }
  for (const user of DEMO_USERS) {
    const department = departments.get(user.departmentPath.at(-1) ?? '');
    if (!user.extension || !department) continue;
    const extension = new Extension(user.extension, department);
    extension.owner = user.username;
    if (ANNOUNCEMENT_EXTENSIONS.has(user.extension)) extension.noticeMethod = 'announcement';
    extensions.set(user.username, extension);
  }
  em.persist([...departments.values(), ...extensions.values()]);
  await em.flush();
  return { departments, extensions };
}
