/**
 * Legal deadlines for workflows. Workflows cannot read the holiday tables (no I/O, no clock of their own),
 * so they ask this activity for the whole plan of a deadline at once: last day, end, reminder times and
 * the escalation time, each an instant the workflow can sleep until.
 */
import { addDays, type LegalCalendar } from '../domain/legal-period';
import { parsePeriod } from '../domain/period';
import { ApplicationFailure } from '@temporalio/common';

/** Reminders and escalations go out when the office opens, not at midnight. */
const OFFICE_OPENS_AT_HOUR = 9;

export interface DeadlinePlanInput {
  /** ISO instant of the event that starts the period (e.g. receipt of a provided copy). */
  startedAt: string;
  /** `30d`, `6m`, `1y` — from the settings. */
  period: string;
  /** Days before the last day on which to remind, e.g. [7, 1]. */
  reminderDaysBefore: number[];
  /** Days after the last day at which an unmet deadline is escalated. */
  escalationAfterDays: number;
}

export interface DeadlinePlan {
  lastDay: string;
  endsAt: string;
  reminders: { daysBefore: number; at: string }[];
  escalateAt: string;
}

export interface DeadlineActivityDeps {
  calendar: LegalCalendar;
}

export function createDeadlineActivities({ calendar }: DeadlineActivityDeps) {
  const atOfficeOpening = (day: string): string => new Date(calendar.startOfDay(day).getTime() + OFFICE_OPENS_AT_HOUR * 3_600_000).toISOString();

  return {
    async planLegalDeadline(input: DeadlinePlanInput): Promise<DeadlinePlan> {
      const period = parsePeriod(input.period);
      const startedAt = new Date(input.startedAt);
      if (!period || Number.isNaN(startedAt.getTime())) {
        throw ApplicationFailure.create({
          type: 'InvalidDeadlineInput',
          message: `invalid deadline input: period ${input.period}, startedAt ${input.startedAt}`,
          nonRetryable: true,
        });
      }
      const deadline = calendar.deadline(startedAt, period);
      return {
        lastDay: deadline.lastDay,
        endsAt: deadline.endsAt.toISOString(),
        reminders: [...new Set(input.reminderDaysBefore)]
          .sort((a, b) => b - a)
          .map((daysBefore) => ({ daysBefore, at: atOfficeOpening(addDays(deadline.lastDay, -daysBefore)) })),
        escalateAt: atOfficeOpening(calendar.nextWorkingDayFrom(addDays(deadline.lastDay, input.escalationAfterDays))),
      };
    },

    /** When a sign-off that has waited since `since` is due a reminder: that many working days on, at opening time. */
    async planWorkingDayReminder(input: { since: string; workingDays: number }): Promise<{ at: string }> {
      const since = new Date(input.since);
      return { at: atOfficeOpening(calendar.addWorkingDays(calendar.localDate(since), input.workingDays)) };
    },
  };
}
