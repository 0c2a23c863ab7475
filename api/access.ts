/**
 * Authorisation in one place. Every route declares who may call it: `public`, or a list of grants,
 * each naming roles and the scope they get — `everything`, `ownCalls` (the caller must be a party:
 * the official at the call's extension, Art. 8(1) proviso), or `ownDepartment` (a department head's own department's
 * applications and extensions). A route without a declaration cannot be
 * registered, and a role no grant names is refused. The grants themselves are api/policy.ts.
 */
import { ROLE_IDS, type RoleId } from '../domain/roles';
import type { User } from '../domain/sign-off';

export const ROLES: readonly RoleId[] = ROLE_IDS;

/** Korean names of the roles, for the UI and the access page. */
export { ROLE_LABELS } from '../domain/roles';

/** Art. 8(3): the managing department's people who hold access rights to recordings. */
export const PRIVILEGED_ROLES = ['chief', 'deputy', 'operator'] as const satisfies readonly RoleId[];

export type Scope = 'everything' | 'ownCalls' | 'ownDepartment';

export interface Grant {
  roles: readonly RoleId[];
  scope: Scope;
}

export type Access = 'public' | readonly Grant[];

/** Who is asking: the session's user as the directory described them at login. */
export interface Principal {
  username: string;
  displayName: string;
  roles: readonly RoleId[];
  departmentPath: readonly string[];
  extension?: string;
}

/** The logged-in user as the step rules take them: every role, for the workflow to pick the one the step allows. */
export function stepUser(principal: Principal, department?: string): User {
  return department === undefined
    ? { username: principal.username, roles: principal.roles }
    : { username: principal.username, roles: principal.roles, department };
}

export type Decision = { allowed: true; scope: Scope; role: RoleId | 'anonymous' } | { allowed: false; reason: 'unauthenticated' | 'role' };

/** The widest scope any of the caller's roles is granted wins; `role` is the one that granted it. */
export function decide(access: Access, principal: Principal | undefined): Decision {
  if (access === 'public') return { allowed: true, scope: 'everything', role: principal?.roles[0] ?? 'anonymous' };
  if (!principal) return { allowed: false, reason: 'unauthenticated' };
  let best: { scope: Scope; role: RoleId } | undefined;
  for (const grant of access) {
    const role = principal.roles.find((held) => grant.roles.includes(held));
    if (!role) continue;
    if (!best || (best.scope !== 'everything' && grant.scope === 'everything')) best = { scope: grant.scope, role };
  }
  return best ? { allowed: true, ...best } : { allowed: false, reason: 'role' };
}

/** Roles a declaration lets in at all (for the OpenAPI document and the route×role test). */
export function allowedRoles(access: Access): readonly RoleId[] | 'public' {
  if (access === 'public') return 'public';
  return ROLES.filter((role) => access.some((grant) => grant.roles.includes(role)));
}
