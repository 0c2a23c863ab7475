/**
 * `npm run bench:documents`: the ledger (Form 4) exported as XLSX and CSV for 10,000 entries, the size a
 * records officer asks for in a busy year. Target: XLSX under 5 s. Prints figures; asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import { writeLedgerCsv, writeLedgerXlsx } from '../../templates/ledger';
import { type LedgerRow } from '../../templates/documents';

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function ledger(count: number): LedgerRow[] {
  const start = Date.parse('2026-01-02T00:00:00Z');
  return Array.from({ length: count }, (_, index) => ({
    managementNumber: `2026-${String(index + 1).padStart(4, '0')}`,
    appliedAt: new Date(start + index * 47 * 60_000),
    applicantName: `신청인${index} (주식회사 광명상사)`,
    applicantBirthDateOrBusinessNumber: index % 3 === 0 ? '123-45-67890' : '1980-01-01',
    applicantAddress: `경기도 광명시 철산로 ${index % 500}번길 ${index % 37}`,
    recordingTime: `2026. ${1 + (index % 12)}. ${1 + (index % 28)}. 10:${String(index % 60).padStart(2, '0')}`,
    recordedPhoneNumber: `02-2680-${String(1000 + (index % 9000))}`,
    purpose: '민원 처리 과정 확인 및 분쟁 대응 증빙 자료',
    remarks: index % 10 === 0 ? '전결' : '',
    signOffOperator: '이담당',
    signOffDeputy: '박팀장',
    signOffChief: '최과장',
  }));
}

async function main(): Promise<void> {
  const rows = ledger(ROWS);
  const options = { municipalityName: '광명시', timeZone: 'Asia/Seoul', sheets: 'per-year' as const };
  await writeLedgerXlsx(rows.slice(0, 100), options); // warm-up
  const xlsxTimes: number[] = [];
  let xlsxBytes = 0;
  for (let run = 0; run < RUNS; run += 1) {
    const started = performance.now();
    xlsxBytes = (await writeLedgerXlsx(rows, options)).length;
    xlsxTimes.push(performance.now() - started);
  }
  const csvStarted = performance.now();
  const csvBytes = writeLedgerCsv(rows, 'Asia/Seoul').length;
  const csvMs = performance.now() - csvStarted;
  const best = Math.min(...xlsxTimes);
  const worst = Math.max(...xlsxTimes);
  console.log(`ledger export, ${ROWS} entries, ${RUNS} runs (Node ${process.version})`);
  console.log(
    `  XLSX: best ${(best / 1000).toFixed(2)} s, worst ${(worst / 1000).toFixed(2)} s, ${(xlsxBytes / 1024).toFixed(0)} KiB, ${Math.round(ROWS / (worst / 1000))} rows/s (target: under 5 s)`,
  );
  console.log(`  CSV:  ${(csvMs / 1000).toFixed(2)} s, ${(csvBytes / 1024).toFixed(0)} KiB`);
  console.log(`  heap used after: ${(process.memoryUsage().heapUsed / 1024 ** 2).toFixed(0)} MiB`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
