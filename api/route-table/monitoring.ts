/**
 * Monitoring (issue 9): `/ready` for load balancers and service managers, `/metrics` for Prometheus; what they check
 * and count, and who may read the metrics, is api/monitoring.ts. `/health` is the site's (site.ts).
 */
import { EXPOSITION_CONTENT_TYPE } from '../../infra/metrics';
import { ApiError } from '../errors';
import { checkReadiness, createMonitor, mayReadMetrics, type MonitoringDeps } from '../monitoring';
import { defineRoute, type RouteSpec } from '../routes';

export function monitoringRoutes(deps: MonitoringDeps): RouteSpec[] {
  const monitor = createMonitor(deps);
  return [
    defineRoute({
      method: 'get',
      path: '/ready',
      kind: 'api',
      access: 'public',
      summary: '처리 준비 여부 (데이터베이스·마이그레이션·Temporal·워커·녹취 장치·디렉터리·메일·디스크·마스터 키; 실패한 구성 요소 이름만, 개인정보 없음)',
      async handle({ res }) {
        const report = await checkReadiness(monitor.readiness);
        if (report.state !== 'ready') monitor.logger.warn('not ready', { failing: report.failing });
        res.status(report.state === 'ready' ? 200 : 503).json(report);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/metrics',
      kind: 'api',
      access: 'public',
      summary: 'Prometheus 지표 (이 서버 안에서, 또는 METRICS_TOKEN_FILE의 Bearer 토큰으로만; 건수만, 개인정보 없음)',
      async handle({ req, res }) {
        if (!mayReadMetrics(req, monitor.metricsToken)) {
          throw new ApiError(403, 'FORBIDDEN', '지표는 이 서버 안에서 또는 지표 토큰으로만 읽을 수 있습니다.', {
            tokenSent: req.get('authorization') !== undefined,
          });
        }
        const text = await monitor.scrape();
        res.status(200).setHeader('Content-Type', EXPOSITION_CONTENT_TYPE);
        res.send(text);
      },
    }),
  ];
}
