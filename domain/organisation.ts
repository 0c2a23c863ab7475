/** The organisation as the rules name it (Art. 3, R12). Pure. */
/** Art. 3 bodies and the departments and teams below them (R12). */
export const ORGANISATION_KINDS = [
  'city_hall',
  'affiliated_institution',
  'business_office',
  'subordinate_agency',
  'council_secretariat',
  'department',
  'team',
] as const;
export type OrganisationKind = (typeof ORGANISATION_KINDS)[number];
