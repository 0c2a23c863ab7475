import { EntitySchema } from '@mikro-orm/core';
import { BaseEntity } from './base';
import { UnicodeTextType } from '../types';

/**
 * A closed case workflow's full event history, kept after the Temporal server's own retention has forgotten it, so an
 * audit can replay the case years later. The JSON is sealed in the document store under its own key (it carries
 * names and addresses from the case); `sha256` is of the JSON itself and is also in the audit chain.
 */
export class ArchivedHistory extends BaseEntity {
  constructor(
    public workflowId: string,
    public runId: string,
    public workflowType: string,
    /** The case it belongs to (a child workflow, such as the Form 3 reminders, names its parent's case). */
    public caseType: string,
    public caseId: string,
    public closeStatus: string,
    public closedAt: Date,
    public eventCount: number,
    public sha256: string,
    public sizeBytes: number,
    /** The history's key wrapped by the master key; never serialised. */
    public wrappedKey: string,
  ) {
    super();
  }
}

export const ArchivedHistorySchema = new EntitySchema<ArchivedHistory, BaseEntity>({
  class: ArchivedHistory,
  extends: 'BaseEntity',
  tableName: 'archived_history',
  uniques: [{ properties: ['workflowId', 'runId'] }],
  indexes: [{ properties: ['caseType', 'caseId'] }, { properties: ['workflowType', 'closedAt'] }],
  properties: {
    workflowId: { type: 'string', length: 200 },
    runId: { type: 'string', length: 64 },
    workflowType: { type: 'string', length: 100 },
    caseType: { type: 'string', length: 64 },
    caseId: { type: 'string', length: 128 },
    closeStatus: { type: 'string', length: 32 },
    closedAt: { type: 'datetime' },
    eventCount: { type: 'integer' },
    sha256: { type: 'string', length: 64 },
    sizeBytes: { type: 'integer' },
    wrappedKey: { type: UnicodeTextType, hidden: true, lazy: true },
  },
});
