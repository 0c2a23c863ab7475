/**
 * Which characters a text may hold, for the API's check of what comes in and the generators' cleaning of what goes
 * into a DOCX/XLSX. Control characters make a document unreadable (XML 1.0 forbids them); bidi overrides and
 * zero-width characters make a printed form read differently from what was stored.
 */

export type UnsafeCharacterKind = 'control' | 'bidi' | 'invisible' | 'noncharacter';

export const UNSAFE_CHARACTER_LABELS: Record<UnsafeCharacterKind, string> = {
  control: '제어 문자',
  bidi: '글자 방향을 바꾸는 문자',
  invisible: '보이지 않는 문자',
  noncharacter: '문서에 쓸 수 없는 문자',
};

// TAB, LF and CR stay allowed: a reason or a comment typed into a textarea has line breaks, and XML keeps them.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/u;
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
const INVISIBLE = /[\u200B-\u200D\u2060-\u2064\uFEFF]/u;
// Lone surrogates (a JSON body can spell them as \uD800) and U+FFFE/U+FFFF: not characters XML can carry.
const NONCHARACTER = /[\uFFFE\uFFFF]|\p{Surrogate}/u;

const RULES: readonly [UnsafeCharacterKind, RegExp][] = [
  ['control', CONTROL],
  ['bidi', BIDI],
  ['invisible', INVISIBLE],
  ['noncharacter', NONCHARACTER],
];

export interface UnsafeCharacter {
  kind: UnsafeCharacterKind;
  /** As U+XXXX, for a message that names what was refused. */
  codePoint: string;
}

/** The first character of `text` an input may not hold, of the kinds asked for. */
export function findUnsafeCharacter(
  text: string,
  kinds: readonly UnsafeCharacterKind[] = ['control', 'bidi', 'invisible', 'noncharacter'],
): UnsafeCharacter | undefined {
  for (const [kind, pattern] of RULES) {
    if (!kinds.includes(kind)) continue;
    const match = pattern.exec(text);
    if (match) return { kind, codePoint: `U+${match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` };
  }
  return undefined;
}

const DOCUMENT_UNSAFE = new RegExp(RULES.map(([, pattern]) => pattern.source).join('|'), 'gu');

/** `text` without the characters above, for every text a generator writes: a value stored before the API refused them cannot break a document. */
export function documentSafeText(text: string): string {
  return text.replace(DOCUMENT_UNSAFE, '');
}

/** Every string in `value` (objects and arrays, however deep) through documentSafeText; dates, buffers and numbers as they are. */
export function documentSafeData<T>(value: T): T {
  if (typeof value === 'string') return documentSafeText(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => documentSafeData(item)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, documentSafeData(item)])) as T;
  }
  return value;
}
