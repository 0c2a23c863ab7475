/**
 * The capture control API's client tokens (issue 18): a file per client under `<DATA_DIR>/keys/` by default, each
 * process reading only its own, development creating a missing one once, production refusing a missing or weak one
 * and naming the setting.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CAPTURE_CLIENTS, loadCaptureControlToken, loadCaptureSecrets, SecretFileError } from '../../infra/keys';
import { loadSettings, type Settings } from '../../infra/settings';

let dataDir: string;
beforeEach(() => (dataDir = mkdtempSync(path.join(os.tmpdir(), 'control-tokens-'))));
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const tokenFiles = (settings: Settings) => [settings.captureControlApiTokenFile, settings.captureControlWorkerTokenFile, settings.captureControlPbxTokenFile];

test('one file per client under <DATA_DIR>/keys/, each movable on its own', () => {
  expect(tokenFiles(loadSettings({ DATA_DIR: dataDir }))).toEqual(
    ['capture-control-api.token', 'capture-control-worker.token', 'capture-control-pbx.token'].map((name) => path.join(dataDir, 'keys', name)),
  );
  const moved = loadSettings({ DATA_DIR: dataDir, CAPTURE_CONTROL_PBX_TOKEN_FILE: '/etc/recording/pbx.token' });
  expect(tokenFiles(moved)).toEqual([
    path.join(dataDir, 'keys', 'capture-control-api.token'),
    path.join(dataDir, 'keys', 'capture-control-worker.token'),
    '/etc/recording/pbx.token',
  ]);
});

test('development creates only the token the process asks for, once; the appliance gets three different ones', () => {
  const settings = loadSettings({ DATA_DIR: dataDir });
  const api = loadCaptureControlToken(settings, 'api');
  expect(tokenFiles(settings).map((file) => existsSync(file))).toEqual([true, false, false]);
  expect(loadCaptureControlToken(settings, 'api')).toBe(api);
  const { controlTokens } = loadCaptureSecrets(settings);
  expect(controlTokens.api).toBe(api);
  expect(new Set(CAPTURE_CLIENTS.map((client) => controlTokens[client])).size).toBe(3);
});

test('production refuses a missing or weak token, naming the file and its setting, and creates nothing', () => {
  const settings = { ...loadSettings({ DATA_DIR: dataDir }), environment: 'production' as const };
  expect(() => loadCaptureControlToken(settings, 'worker')).toThrow(
    new SecretFileError(`비밀 파일이 없습니다: ${settings.captureControlWorkerTokenFile} (CAPTURE_CONTROL_WORKER_TOKEN_FILE)`),
  );
  expect(existsSync(settings.captureControlWorkerTokenFile)).toBe(false);
  writeFileSync(path.join(dataDir, 'weak'), 'short token\n');
  const weak = { ...settings, captureControlPbxTokenFile: path.join(dataDir, 'weak') };
  expect(() => loadCaptureControlToken(weak, 'pbx')).toThrow(/제어 토큰은 공백 없는 32자 이상이어야 합니다: .*weak \(CAPTURE_CONTROL_PBX_TOKEN_FILE\)/);
  // The message names the file, never what it holds.
  expect(() => loadCaptureControlToken(weak, 'pbx')).not.toThrow(new RegExp(readFileSync(path.join(dataDir, 'weak'), 'utf8').trim()));
});
