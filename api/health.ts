/**
 * The state of each component, for `GET /health`, the landing page and operators' monitoring. A check
 * never throws: a failing component is reported with its reason, and the whole is `down` if any is.
 */
import { statfs } from 'node:fs/promises';

export type ComponentState = 'up' | 'down';

export interface ComponentHealth {
  state: ComponentState;
  /** Korean, for the landing page. */
  detail: string;
}

export interface HealthReport {
  state: ComponentState;
  checkedAt: string;
  components: Record<string, ComponentHealth>;
}

/** What anyone may read (load balancers, a probe before login): up or down per component, nothing that names a server. */
export interface PublicHealthReport {
  state: ComponentState;
  checkedAt: string;
  components: Record<string, { state: ComponentState }>;
}

export type HealthCheck = () => Promise<ComponentHealth>;

const CHECK_TIMEOUT_MS = 3_000;

async function runCheck(check: HealthCheck): Promise<ComponentHealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ComponentHealth>((resolve) => {
    timer = setTimeout(() => resolve({ state: 'down', detail: `${CHECK_TIMEOUT_MS / 1000}초 안에 응답하지 않음` }), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check(), timeout]);
  } catch (error) {
    return { state: 'down', detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkHealth(checks: Record<string, HealthCheck>): Promise<HealthReport> {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => runCheck(checks[name] as HealthCheck)));
  const components = Object.fromEntries(names.map((name, index) => [name, results[index] as ComponentHealth]));
  return {
    state: results.every((result) => result.state === 'up') ? 'up' : 'down',
    checkedAt: new Date().toISOString(),
    components,
  };
}

/**
 * The report without its details: they name folders, the Temporal address, the directory's URL, the mail relay and
 * raw errors, which tell an anonymous caller where to aim (issue 22).
 */
export function publicHealth(report: HealthReport): PublicHealthReport {
  const components = Object.fromEntries(Object.entries(report.components).map(([name, component]) => [name, { state: component.state }]));
  return { state: report.state, checkedAt: report.checkedAt, components };
}

/** Free space under a folder; recordings stop being safe to write long before the disk is full. */
export function diskSpaceCheck(folder: string, minimumFreeBytes: number): HealthCheck {
  return async () => {
    const stats = await statfs(folder);
    const free = stats.bavail * stats.bsize;
    const text = `${(free / 1024 ** 3).toFixed(1)} GiB 남음`;
    return free >= minimumFreeBytes
      ? { state: 'up', detail: text }
      : { state: 'down', detail: `${text} (최소 ${(minimumFreeBytes / 1024 ** 3).toFixed(1)} GiB 필요)` };
  };
}
