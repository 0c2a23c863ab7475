import { EntitySchema } from '@mikro-orm/core';

/**
 * A single-use grant (party export, provision package) the appliance has released audio against (issue 18): kept until
 * the grant's own end, after which the grant is refused as expired anyway, so that it is refused as used before then —
 * also after the appliance restarts.
 */
export class UsedGrant {
  constructor(
    /** The grant's id (a UUID). */
    public id: string,
    public usedAt: Date,
    public notAfter: Date,
  ) {}
}

export const UsedGrantSchema = new EntitySchema<UsedGrant>({
  class: UsedGrant,
  tableName: 'used_grant',
  properties: {
    id: { type: 'string', length: 36, primary: true },
    usedAt: { type: 'datetime' },
    notAfter: { type: 'datetime' },
  },
});
