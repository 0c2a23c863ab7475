/** The ledger (관리대장, Form 4, Art. 9(3)): a year of disclosure cases as a workbook or CSV. */
import { exportLedger, ledgerQuery } from '../ledger';
import { LEDGER_READERS } from '../policy';
import { defineRoute, type RouteSpec } from '../routes';
import type { RouteDeps } from './deps';

export function ledgerRoutes(deps: RouteDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/ledger',
      kind: 'api',
      access: LEDGER_READERS,
      query: ledgerQuery,
      summary: '관리대장 (별지 제4호서식) 한 해치, XLSX 또는 CSV (내려받기는 감사 기록)',
      example: { query: { year: '2026' } },
      async handle(call) {
        const file = await exportLedger(
          { calendar: deps.calendar, municipalityName: deps.municipalityName, timeZone: deps.timeZone, signOffLabels: deps.signOffLabels },
          call,
        );
        call.res.type(file.type).attachment(file.name).set('Cache-Control', 'no-store').send(file.body);
      },
    }),
  ];
}
