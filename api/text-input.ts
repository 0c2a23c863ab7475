/**
 * The check every request's params, query and body go through before their schema (api/routes.ts `validate`): one
 * walk over every string, so a route whose schema forgets a refinement — multipart fields and page forms included —
 * is still covered.
 */
import type { z } from 'zod';
import { findUnsafeCharacter, UNSAFE_CHARACTER_LABELS, type UnsafeCharacterKind } from '../domain/text';
import { ApiError } from './errors';

const EVERY_KIND: readonly UnsafeCharacterKind[] = ['control', 'bidi', 'invisible', 'noncharacter'];
// A password is never printed or shown, so a bidi or zero-width character in it misleads no reader, and refusing one
// would lock out a user whose directory password holds it; control characters no keyboard types are still refused.
const PASSWORD_KINDS: readonly UnsafeCharacterKind[] = ['control', 'noncharacter'];

/** The schema's own label for a field (its `.describe()`), through optional/nullable/default wrappers. */
function labelAt(schema: z.ZodType | undefined, path: readonly (string | number)[]): string | undefined {
  let current: unknown = schema;
  for (const key of path) {
    current = unwrap(current);
    const def = (current as { def?: { type?: string; shape?: Record<string, unknown>; element?: unknown } } | undefined)?.def;
    if (def?.type === 'object' && typeof key === 'string') current = def.shape?.[key];
    else if (def?.type === 'array' && typeof key === 'number') current = def.element;
    else return undefined;
  }
  return (current as { description?: string } | undefined)?.description ?? (unwrap(current) as { description?: string } | undefined)?.description;
}

function unwrap(schema: unknown): unknown {
  let current = schema as { def?: { innerType?: unknown; in?: unknown } } | undefined;
  while (current?.def?.innerType ?? current?.def?.in) current = (current.def.innerType ?? current.def.in) as typeof current;
  return current;
}

// A parsed query or urlencoded body may come without a prototype.
function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

interface Refusal {
  field: string;
  label: string;
  kind: UnsafeCharacterKind;
  codePoint: string;
}

function collect(value: unknown, path: (string | number)[], schema: z.ZodType | undefined, where: string, out: Refusal[]): void {
  if (typeof value === 'string') {
    const last = path[path.length - 1];
    const kinds = typeof last === 'string' && /password/i.test(last) ? PASSWORD_KINDS : EVERY_KIND;
    const found = findUnsafeCharacter(value, kinds);
    if (found) {
      const field = path.join('.') || where;
      const described = labelAt(schema, path);
      out.push({ field, label: described ? `${described} (${field})` : field, ...found });
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => collect(item, [...path, index], schema, where, out));
  } else if (value !== null && typeof value === 'object' && isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) collect(item, [...path, key], schema, where, out);
  }
}

/** Refuses (400 INVALID_TEXT) a request whose text holds a control, bidi or zero-width character, naming each field. */
export function assertSafeText(schema: z.ZodType | undefined, value: unknown, where: string): void {
  const refusals: Refusal[] = [];
  collect(value, [], schema, where, refusals);
  if (refusals.length === 0) return;
  const problems = refusals.map((refusal) => `${refusal.label}: ${UNSAFE_CHARACTER_LABELS[refusal.kind]}(${refusal.codePoint})는 쓸 수 없습니다`);
  throw new ApiError(400, 'INVALID_TEXT', `입력값에 쓸 수 없는 문자가 있습니다 — ${problems.join('; ')}`, {
    problems,
    fields: refusals.map((refusal) => refusal.field),
  });
}
