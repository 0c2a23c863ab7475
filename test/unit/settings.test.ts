import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadSettings, SETTINGS, SettingsError } from '../../infra/settings';

const settingsError = (env: NodeJS.ProcessEnv): SettingsError => {
  try {
    loadSettings(env);
  } catch (error) {
    if (error instanceof SettingsError) return error;
    throw error;
  }
  throw new Error('settings were accepted');
};

test("the defaults are Gwangmyeong's rules on the embedded servers", () => {
  const settings = loadSettings({});
  expect(settings.retentionPeriod).toEqual({ amount: 30, unit: 'day' });
  expect(settings.destructionReportPeriod).toEqual({ amount: 30, unit: 'day' });
  expect(settings.disclosureSignOffChain).toEqual(['operator', 'deputy', 'chief']);
  expect(settings.timeZone).toBe('Asia/Seoul');
  expect(settings.municipalityName).toBe('광명시');
  expect(settings.databaseDriver).toBe('sqlite');
  expect(settings.databaseName).toBe(path.resolve('data', 'recording.sqlite'));
  expect(settings.masterKeyFile).toBe(path.resolve('data', 'keys', 'master.key'));
  expect(settings.temporalAddress).toBeUndefined();
  expect(settings.apiHost).toBe('127.0.0.1');
  expect(settings.destructionReportReminderDays).toEqual([7, 1]);
});

test("another city's rules are settings, not code", () => {
  const settings = loadSettings({
    RETENTION_PERIOD: '6m',
    DESTRUCTION_REPORT_PERIOD: '60d',
    DISCLOSURE_SIGN_OFF_CHAIN: 'operator,chief',
    MUNICIPALITY_NAME: '시흥시',
    DB_DRIVER: 'postgresql',
  });
  expect(settings.retentionPeriod).toEqual({ amount: 6, unit: 'month' });
  expect(settings.disclosureSignOffChain).toEqual(['operator', 'chief']);
  expect(settings.databasePort).toBe(5432);
  expect(settings.databaseName).toBe('recording');
});

test('every invalid setting is named in one error, in Korean', () => {
  const error = settingsError({
    RETENTION_PERIOD: '30 days',
    API_PORT: '99999',
    TIME_ZONE: 'Mars/Olympus',
    DISCLOSURE_SIGN_OFF_CHAIN: 'operator,mayor',
    DESTRUCTION_REPORT_REMINDER_DAYS: 'seven',
    LDAP_URL: 'http://directory',
  });
  expect(error.problems.map((problem) => problem.env).sort()).toEqual([
    'API_PORT',
    'DESTRUCTION_REPORT_REMINDER_DAYS',
    'DISCLOSURE_SIGN_OFF_CHAIN',
    'LDAP_URL',
    'RETENTION_PERIOD',
    'TIME_ZONE',
  ]);
  expect(error.message).toContain('RETENTION_PERIOD: 기간은 30d, 6m, 1y 처럼 적습니다');
});

test('production refuses the embedded defaults that are only safe for development', () => {
  const error = settingsError({ APP_ENV: 'production' });
  expect(error.problems.map((problem) => problem.env).sort()).toEqual(['DB_DRIVER', 'LDAP_URL', 'TEMPORAL_ADDRESS']);
});

test('a client certificate without its key is refused', () => {
  expect(settingsError({ TEMPORAL_TLS_CERT_FILE: '/etc/tls/client.pem' }).problems[0]?.env).toBe('TEMPORAL_TLS_CERT_FILE');
});

test('a duplicated or misordered sign-off chain is refused', () => {
  expect(settingsError({ DISCLOSURE_SIGN_OFF_CHAIN: 'operator,operator' }).problems[0]?.env).toBe('DISCLOSURE_SIGN_OFF_CHAIN');
  expect(settingsError({ FULL_RECORDING_APPROVAL_CHAIN: 'chief,deputy,operator' }).problems[0]?.env).toBe('FULL_RECORDING_APPROVAL_CHAIN');
});

test('README documents every setting', () => {
  const readme = readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');
  const missing = Object.values(SETTINGS)
    .map((spec) => spec.env)
    .filter((env) => !readme.includes(`\`${env}\``));
  expect(missing).toEqual([]);
});

test('a directory URL needs its service account, bases and role groups', () => {
  expect(
    settingsError({ LDAP_URL: 'ldaps://ad.city.local' })
      .problems.map((problem) => problem.env)
      .sort(),
  ).toEqual(['LDAP_BIND_DN', 'LDAP_BIND_PASSWORD_FILE', 'LDAP_GROUP_BASE', 'LDAP_ROLE_GROUPS', 'LDAP_USER_BASE']);
  const settings = loadSettings({
    LDAP_URL: 'ldaps://ad.city.local',
    LDAP_BIND_DN: 'cn=reader,dc=gm',
    LDAP_BIND_PASSWORD_FILE: '/etc/recording/ldap.password',
    LDAP_USER_BASE: 'ou=광명시청,dc=gm',
    LDAP_GROUP_BASE: 'ou=groups,dc=gm',
    LDAP_ROLE_GROUPS: 'chief=cn=녹취-정책임자,ou=groups,dc=gm; operator=cn=녹취-관리자,ou=groups,dc=gm',
    LDAP_USERNAME_ATTRIBUTE: 'sAMAccountName',
  });
  expect([...settings.directoryRoleGroups]).toEqual([
    ['cn=녹취-정책임자,ou=groups,dc=gm', 'chief'],
    ['cn=녹취-관리자,ou=groups,dc=gm', 'operator'],
  ]);
  expect(settingsError({ LDAP_ROLE_GROUPS: 'mayor=cn=x,dc=gm' }).problems[0]?.env).toBe('LDAP_ROLE_GROUPS');
});

test("the PBX's trusted RTSP addresses: addresses and CIDR ranges, loopback by default, none when empty; anything else is refused", () => {
  expect(loadSettings({}).captureRtspTrustedAddresses).toEqual(['127.0.0.1', '::1']);
  expect(loadSettings({ CAPTURE_RTSP_TRUSTED_ADDRESSES: ' 10.20.0.5, 10.20.1.0/24,2001:db8::/48 ' }).captureRtspTrustedAddresses).toEqual([
    '10.20.0.5',
    '10.20.1.0/24',
    '2001:db8::/48',
  ]);
  expect(loadSettings({ CAPTURE_RTSP_TRUSTED_ADDRESSES: '' }).captureRtspTrustedAddresses).toEqual([]);
  for (const wrong of ['pbx.city.local', '10.20.0.0/33', '10.20.0.5/24/1', '10.20.0.256'])
    expect(settingsError({ CAPTURE_RTSP_TRUSTED_ADDRESSES: wrong }).problems[0]?.env).toBe('CAPTURE_RTSP_TRUSTED_ADDRESSES');
});
