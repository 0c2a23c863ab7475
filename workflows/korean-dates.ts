/** Korean date writing for messages, pure so that workflows may use it: `2026-03-16` → `2026. 3. 16.` */
export function formatKoreanDate(isoDate: string): string {
  const [year, month, day] = isoDate.split('-').map(Number);
  return `${year}. ${month}. ${day}.`;
}
