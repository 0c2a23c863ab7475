/**
 * The disclosure pages' forms (api/ui/disclosure-pages.ts) as a browser sends them, turned into the API's own bodies
 * (api/disclosure.ts) so that a step taken on a page is checked by exactly the schemas the JSON API uses. Fields
 * arrive as strings: date-times from datetime-local inputs, which carry no zone and are read on the city's clock;
 * an empty optional field means none; a lone checkbox is a string, not a list.
 */
import { z } from 'zod';
import { wallClockDate } from '../domain/korean-time';
import type { LegalCalendar } from '../domain/legal-period';
import {
  attachmentFields,
  confirmBody,
  destructionReportBody,
  disclosureSignOffBody,
  handoverBody,
  ownRequestBody,
  registrationBody,
  withdrawBody,
  type OwnRequestBody,
  type RegistrationBody,
} from './disclosure-schemas';
import { ApiError } from './errors';
import { SIGNATURE_MAX_DATA_URL } from './signature';

/** Loose on purpose: the API's schema says what is wrong, in Korean, once the fields are converted. */
const field = z.string().max(4096).default('');

export const registrationForm = z.object({
  kind: field,
  applicantName: field,
  applicantBirthDateOrBusinessNumber: field,
  applicantAddress: field,
  applicantContact: field,
  applicantEmail: field,
  recordingFrom: field,
  recordingTo: field,
  phoneNumber: field,
  purpose: field,
  relationToParty: field,
  reason: field,
  ground: field,
  groundDetail: field,
});
export type RegistrationForm = z.output<typeof registrationForm>;

export const ownRequestForm = z.object({
  kind: field,
  applicantBirthDate: field,
  applicantContact: field,
  applicantEmail: field,
  recordingFrom: field,
  recordingTo: field,
  extension: field,
  purpose: field,
  reason: field,
});
export type OwnRequestForm = z.output<typeof ownRequestForm>;

export const confirmForm = z.object({
  recordingIds: z
    .union([z.string(), z.array(z.string())])
    .default([])
    .transform((value) => (typeof value === 'string' ? [value] : value)),
});
export const withdrawForm = z.object({ reason: field });
export const attachmentForm = z.object({ purpose: field });
export const handoverForm = z.object({
  signatureKind: field,
  attachmentId: field,
  signature: z.string().max(SIGNATURE_MAX_DATA_URL, { message: '서명 이미지가 너무 큽니다' }).default(''),
  recipientName: field,
  receivedAt: field,
});
export const destructionReportForm = z.object({
  attachmentId: field,
  destroyedAt: field,
  method: field,
  methodDetail: field,
  allCopiesDestroyed: field,
  witness: field,
});

/** The first problem the schema finds, as the Korean refusal the page shows. */
function checked<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ApiError(400, 'INVALID_INPUT', parsed.error.issues[0]?.message ?? '입력을 확인하십시오.');
}

const LOCAL_DATE_TIME = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?$/;

/**
 * A datetime-local value (`2026-11-27T14:05`) as the instant it names on the city's clock; refused in Korean when it
 * names none, since the API's own message asks for a format the user never types.
 */
export function instantOf(local: string, calendar: LegalCalendar, label: string): string {
  const match = LOCAL_DATE_TIME.exec(local);
  const date = match?.[1];
  const midnight = date ? new Date(`${date}T00:00:00Z`) : undefined;
  if (!match || !date || !midnight || Number.isNaN(midnight.getTime()) || !midnight.toISOString().startsWith(date)) {
    throw new ApiError(400, 'INVALID_INPUT', `${label}을(를) 날짜와 시각으로 고르십시오.`);
  }
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return new Date(calendar.startOfDay(date).getTime() + minutes * 60_000).toISOString();
}

/** An instant as a datetime-local value on the city's clock (what such an input shows and sends). */
export function localInputValue(instant: Date, timeZone: string): string {
  return wallClockDate(instant, timeZone).toISOString().slice(0, 16);
}

const orNull = (value: string) => (value.trim() === '' ? null : value);
const orAbsent = (value: string) => (value.trim() === '' ? undefined : value);

export function registrationFromForm(form: RegistrationForm, calendar: LegalCalendar): RegistrationBody {
  return checked(registrationBody, {
    ...form,
    applicantEmail: orNull(form.applicantEmail),
    groundDetail: orNull(form.groundDetail),
    recordingFrom: instantOf(form.recordingFrom, calendar, '녹취 일시(부터)'),
    recordingTo: instantOf(form.recordingTo, calendar, '녹취 일시(까지)'),
  });
}

export function ownRequestFromForm(form: OwnRequestForm, calendar: LegalCalendar): OwnRequestBody {
  return checked(ownRequestBody, {
    ...form,
    applicantEmail: orNull(form.applicantEmail),
    recordingFrom: instantOf(form.recordingFrom, calendar, '녹취 일시(부터)'),
    recordingTo: instantOf(form.recordingTo, calendar, '녹취 일시(까지)'),
  });
}

export const confirmFromForm = (form: z.output<typeof confirmForm>) => checked(confirmBody, form);
export const signOffFromForm = (form: { decision: string; comment: string }) => checked(disclosureSignOffBody, form);
export const withdrawFromForm = (form: z.output<typeof withdrawForm>) => checked(withdrawBody, form);
export const attachmentFromForm = (form: z.output<typeof attachmentForm>) => checked(attachmentFields, form);

/** The recipient signed on the page's pad (the drawing comes as a data URL) or on paper (its scan chosen). */
export function handoverFromForm(form: z.output<typeof handoverForm>, calendar: LegalCalendar) {
  const recipient = { recipientName: form.recipientName, receivedAt: instantOf(form.receivedAt, calendar, '수령 일시') };
  return checked(
    handoverBody,
    form.signatureKind === 'on_screen'
      ? { signatureKind: 'on_screen', signature: form.signature, ...recipient }
      : { signatureKind: 'paper_scan', attachmentId: form.attachmentId, ...recipient },
  );
}

export function destructionReportFromForm(form: z.output<typeof destructionReportForm>, calendar: LegalCalendar) {
  return checked(destructionReportBody, {
    attachmentId: form.attachmentId,
    destroyedAt: instantOf(form.destroyedAt, calendar, '파기 일시'),
    method: form.method,
    methodDetail: orAbsent(form.methodDetail),
    allCopiesDestroyed: form.allCopiesDestroyed === 'yes' ? true : form.allCopiesDestroyed === 'no' ? false : undefined,
    witness: orAbsent(form.witness),
  });
}
