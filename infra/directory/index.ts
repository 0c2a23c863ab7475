/** The directory the system logs users in against: the city's LDAP, or the built-in one in development. */
import { readFileSync } from 'node:fs';
import type { Settings } from '../settings';
import { DEMO_USERS, DevelopmentDirectory } from './development-directory';
import { LdapDirectory } from './ldap-directory';

export type Directory = Pick<LdapDirectory, 'authenticate' | 'findUser' | 'roleHolders' | 'check'>;
export { DirectoryError, type DirectoryUser } from './ldap-directory';

export interface ConfiguredDirectory {
  directory: Directory;
  /** Korean, for /health and the landing page. */
  description: string;
}

export function createDirectory(settings: Settings): ConfiguredDirectory {
  if (!settings.directoryUrl) {
    return { directory: new DevelopmentDirectory(), description: `내장 개발용 디렉터리 (데모 사용자 ${DEMO_USERS.length}명)` };
  }
  return {
    directory: new LdapDirectory({
      url: settings.directoryUrl,
      bindDn: settings.directoryBindDn as string,
      bindPassword: readFileSync(settings.directoryBindPasswordFile as string, 'utf8').trim(),
      userBase: settings.directoryUserBase as string,
      usernameAttribute: settings.directoryUsernameAttribute,
      groupBase: settings.directoryGroupBase as string,
      roleGroups: settings.directoryRoleGroups,
      tlsCa: settings.directoryTlsCaFile ? readFileSync(settings.directoryTlsCaFile) : undefined,
    }),
    description: settings.directoryUrl,
  };
}
