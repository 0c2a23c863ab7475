/**
 * Art. 8(3): who holds access rights to recordings now (`chief`, `deputy`, `operator`), read from the
 * directory at the moment of asking, and whether there are more of them than the rules allow.
 */
import { z } from 'zod';
import { DirectoryError, type Directory } from '../infra/directory';
import { type RoleId } from '../domain/roles';
import { PRIVILEGED_ROLES } from './access';
import { ApiError } from './errors';

export const privilegedHolders = z.object({
  checkedAt: z.string(),
  maximum: z.number().int(),
  count: z.number().int(),
  overLimit: z.boolean(),
  holders: z.array(
    z.object({
      username: z.string(),
      displayName: z.string(),
      department: z.string(),
      roles: z.array(z.enum(PRIVILEGED_ROLES)),
    }),
  ),
});
export type PrivilegedHolders = z.infer<typeof privilegedHolders>;

export async function listPrivilegedHolders(directory: Directory, maximum: number, now = new Date()): Promise<PrivilegedHolders> {
  let users;
  try {
    users = await directory.roleHolders(PRIVILEGED_ROLES);
  } catch (error) {
    if (error instanceof DirectoryError) {
      throw new ApiError(503, 'DIRECTORY_UNAVAILABLE', '디렉터리에 연결할 수 없어 권한자를 확인하지 못했습니다.');
    }
    throw error;
  }
  const holders = users
    .map((user) => ({
      username: user.username,
      displayName: user.displayName,
      department: user.departmentPath.join(' › '),
      roles: user.roles.filter((role): role is (typeof PRIVILEGED_ROLES)[number] => (PRIVILEGED_ROLES as readonly RoleId[]).includes(role)),
    }))
    .sort((a, b) => a.username.localeCompare(b.username));
  return { checkedAt: now.toISOString(), maximum, count: holders.length, overLimit: holders.length > maximum, holders };
}
