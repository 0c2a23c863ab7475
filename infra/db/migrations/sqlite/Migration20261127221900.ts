import { Migration } from '@mikro-orm/migrations';

export class Migration20261127221900 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`audit_chain_head\` (\`id\` integer not null, \`last_seq\` integer not null, \`last_hash\` text not null, primary key (\`id\`));`,
    );

    this.addSql(
      `create table \`audit_event\` (\`seq\` integer not null, \`at\` datetime not null, \`actor\` text not null, \`role\` text not null, \`source_address\` text not null, \`action\` text not null, \`target_type\` text not null, \`target_id\` text not null, \`reason\` text not null, \`detail\` text not null, \`prev_hash\` text not null, \`hash\` text not null, primary key (\`seq\`));`,
    );
    this.addSql(`create unique index \`audit_event_hash_unique\` on \`audit_event\` (\`hash\`);`);
    this.addSql(`create index \`audit_event_target_type_target_id_index\` on \`audit_event\` (\`target_type\`, \`target_id\`);`);
    this.addSql(`create index \`audit_event_at_index\` on \`audit_event\` (\`at\`);`);
    this.addSql(`create index \`audit_event_actor_index\` on \`audit_event\` (\`actor\`);`);

    this.addSql(
      `create table \`department\` (\`id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`code\` text not null, \`name\` text not null, \`kind\` text check (\`kind\` in ('city_hall', 'affiliated_institution', 'business_office', 'subordinate_agency', 'council_secretariat', 'department', 'team')) not null, \`parent_id\` text null, \`is_managing_department\` integer not null default false, \`directory_dn\` text null, constraint \`department_parent_id_foreign\` foreign key(\`parent_id\`) references \`department\`(\`id\`) on delete set null on update cascade, primary key (\`id\`));`,
    );
    this.addSql(`create unique index \`department_code_unique\` on \`department\` (\`code\`);`);
    this.addSql(`create index \`department_parent_id_index\` on \`department\` (\`parent_id\`);`);
    this.addSql(`create unique index \`department_directory_dn_unique\` on \`department\` (\`directory_dn\`);`);

    this.addSql(
      `create table \`disclosure_request\` (\`id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`management_number\` text not null, \`year\` integer not null, \`sequence\` integer not null, \`workflow_id\` text not null, \`kind\` text check (\`kind\` in ('viewing', 'provision')) not null, \`status\` text check (\`status\` in ('registered', 'in_sign_off', 'awaiting_handover', 'released', 'awaiting_destruction_report', 'closed', 'rejected', 'withdrawn')) not null default 'registered', \`applicant_name\` text not null, \`applicant_birth_date_or_business_number\` text not null, \`applicant_address\` text not null, \`applicant_contact\` text not null, \`applicant_email\` text null, \`requested_recording_time\` text not null, \`requested_phone_number\` text not null, \`purpose\` text not null, \`relation_to_party\` text not null, \`reason\` text not null, \`ground\` text check (\`ground\` in ('party', 'other_law')) not null, \`ground_detail\` text null, \`received_at\` datetime not null, \`registered_by\` text not null, primary key (\`id\`));`,
    );
    this.addSql(`create unique index \`disclosure_request_management_number_unique\` on \`disclosure_request\` (\`management_number\`);`);
    this.addSql(`create unique index \`disclosure_request_workflow_id_unique\` on \`disclosure_request\` (\`workflow_id\`);`);
    this.addSql(`create unique index \`disclosure_request_year_sequence_unique\` on \`disclosure_request\` (\`year\`, \`sequence\`);`);

    this.addSql(
      `create table \`destruction_report\` (\`id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`request_id\` text not null, \`due_at\` datetime not null, \`reported_at\` datetime null, \`destroyed_at\` datetime null, \`method\` text check (\`method\` in ('delete_overwrite', 'physical_destruction', 'other')) null, \`method_detail\` text null, \`all_copies_destroyed\` integer null, \`witness\` text null, \`recorded_by\` text null, \`document_key\` text null, constraint \`destruction_report_request_id_foreign\` foreign key(\`request_id\`) references \`disclosure_request\`(\`id\`) on update cascade, primary key (\`id\`));`,
    );
    this.addSql(`create unique index \`destruction_report_request_id_unique\` on \`destruction_report\` (\`request_id\`);`);

    this.addSql(
      `create table \`extension\` (\`id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`number\` text not null, \`department_id\` text not null, \`owner\` text null, \`mode\` text check (\`mode\` in ('selective', 'full')) not null default 'selective', \`notice_method\` text check (\`notice_method\` in ('announcement', 'verbal')) not null default 'verbal', \`full_recording_since\` datetime null, constraint \`extension_department_id_foreign\` foreign key(\`department_id\`) references \`department\`(\`id\`) on update cascade, primary key (\`id\`));`,
    );
    this.addSql(`create unique index \`extension_number_unique\` on \`extension\` (\`number\`);`);
    this.addSql(`create index \`extension_department_id_index\` on \`extension\` (\`department_id\`);`);

    this.addSql(
      `create table \`full_recording_application\` (\`id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`workflow_id\` text not null, \`applicant\` text not null, \`department_id\` text not null, \`ground\` text check (\`ground\` in ('interest_related_complaints', 'malicious_complaints', 'other')) not null, \`reason\` text not null, \`period_from\` datetime not null, \`period_to\` datetime null, \`status\` text check (\`status\` in ('under_review', 'approved', 'active', 'rejected', 'ended', 'revoked')) not null default 'under_review', \`decided_by\` text null, \`decided_at\` datetime null, \`decision_reason\` text null, \`applied_at\` datetime null, \`ended_at\` datetime null, constraint \`full_recording_application_department_id_foreign\` foreign key(\`department_id\`) references \`department\`(\`id\`) on update cascade, primary key (\`id\`));`,
    );
    this.addSql(`create unique index \`full_recording_application_workflow_id_unique\` on \`full_recording_application\` (\`workflow_id\`);`);
    this.addSql(`create index \`full_recording_application_department_id_index\` on \`full_recording_application\` (\`department_id\`);`);

    this.addSql(
      `create table \`full_recording_application_extension\` (\`full_recording_application_id\` text not null, \`extension_id\` text not null, constraint \`full_recording_application_extension_full_recording_application_id_foreign\` foreign key(\`full_recording_application_id\`) references \`full_recording_application\`(\`id\`) on delete cascade on update cascade, constraint \`full_recording_application_extension_extension_id_foreign\` foreign key(\`extension_id\`) references \`extension\`(\`id\`) on delete cascade on update cascade, primary key (\`full_recording_application_id\`, \`extension_id\`));`,
    );
    this.addSql(
      `create index \`full_recording_application_extension_full_recording_application_id_index\` on \`full_recording_application_extension\` (\`full_recording_application_id\`);`,
    );
    this.addSql(`create index \`full_recording_application_extension_extension_id_index\` on \`full_recording_application_extension\` (\`extension_id\`);`);

    this.addSql(
      `create table \`handover_receipt\` (\`id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`request_id\` text not null, \`document_key\` text not null, \`recipient_name\` text not null, \`handed_over_by\` text not null, \`signed_at\` datetime null, \`signature_kind\` text check (\`signature_kind\` in ('on_screen', 'paper_scan')) null, \`signed_document_key\` text null, \`received_at\` datetime null, constraint \`handover_receipt_request_id_foreign\` foreign key(\`request_id\`) references \`disclosure_request\`(\`id\`) on update cascade, primary key (\`id\`));`,
    );
    this.addSql(`create unique index \`handover_receipt_request_id_unique\` on \`handover_receipt\` (\`request_id\`);`);

    this.addSql(
      `create table \`ledger_entry\` (\`id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`request_id\` text not null, \`management_number\` text not null, \`applied_at\` datetime not null, \`applicant_name\` text not null, \`applicant_birth_date_or_business_number\` text not null, \`applicant_address\` text not null, \`recording_time\` text not null, \`recorded_phone_number\` text not null, \`purpose\` text not null, \`remarks\` text null, \`sign_off_operator\` text null, \`sign_off_deputy\` text null, \`sign_off_chief\` text null, constraint \`ledger_entry_request_id_foreign\` foreign key(\`request_id\`) references \`disclosure_request\`(\`id\`) on update cascade, primary key (\`id\`));`,
    );
    this.addSql(`create unique index \`ledger_entry_request_id_unique\` on \`ledger_entry\` (\`request_id\`);`);
    this.addSql(`create unique index \`ledger_entry_management_number_unique\` on \`ledger_entry\` (\`management_number\`);`);

    this.addSql(
      `create table \`notification\` (\`id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`idempotency_key\` text not null, \`channel\` text check (\`channel\` in ('email', 'post', 'in_app')) not null, \`recipient\` text not null, \`subject\` text not null, \`body\` text not null, \`related_type\` text not null, \`related_id\` text not null, \`triggered_at\` datetime not null, \`status\` text check (\`status\` in ('pending', 'sent', 'failed')) not null default 'pending', \`sent_at\` datetime null, \`attempts\` integer not null default 0, \`last_error\` text null, primary key (\`id\`));`,
    );
    this.addSql(`create unique index \`notification_idempotency_key_unique\` on \`notification\` (\`idempotency_key\`);`);
    this.addSql(`create index \`notification_related_type_related_id_index\` on \`notification\` (\`related_type\`, \`related_id\`);`);
    this.addSql(`create index \`notification_status_index\` on \`notification\` (\`status\`);`);

    this.addSql(
      `create table \`recording\` (\`id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`call_id\` text not null, \`extension_id\` text not null, \`started_at\` datetime not null, \`ended_at\` datetime null, \`other_party_number\` text null, \`direction\` text check (\`direction\` in ('inbound', 'outbound', 'internal')) not null, \`mode\` text check (\`mode\` in ('selective', 'full')) not null, \`notice_given\` integer not null default false, \`notice_evidence\` text null, \`codec\` text check (\`codec\` in ('PCMU', 'PCMA')) not null, \`duration_ms\` integer null, \`size_bytes\` integer null, \`storage_key\` text null, \`sha256\` text null, \`wrapped_key\` text null, \`recovered\` integer not null default false, \`retention_due_at\` datetime not null, \`deleted_at\` datetime null, \`deletion_reason\` text null, constraint \`recording_extension_id_foreign\` foreign key(\`extension_id\`) references \`extension\`(\`id\`) on update cascade, primary key (\`id\`));`,
    );
    this.addSql(`create unique index \`recording_call_id_unique\` on \`recording\` (\`call_id\`);`);
    this.addSql(`create index \`recording_extension_id_index\` on \`recording\` (\`extension_id\`);`);
    this.addSql(`create index \`recording_started_at_index\` on \`recording\` (\`started_at\`);`);
    this.addSql(`create index \`recording_retention_due_at_index\` on \`recording\` (\`retention_due_at\`);`);

    this.addSql(
      `create table \`disclosure_request_recording\` (\`id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`request_id\` text not null, \`recording_id\` text not null, \`confirmed_by\` text not null, constraint \`disclosure_request_recording_request_id_foreign\` foreign key(\`request_id\`) references \`disclosure_request\`(\`id\`) on update cascade, constraint \`disclosure_request_recording_recording_id_foreign\` foreign key(\`recording_id\`) references \`recording\`(\`id\`) on update cascade, primary key (\`id\`));`,
    );
    this.addSql(`create index \`disclosure_request_recording_request_id_index\` on \`disclosure_request_recording\` (\`request_id\`);`);
    this.addSql(`create index \`disclosure_request_recording_recording_id_index\` on \`disclosure_request_recording\` (\`recording_id\`);`);
    this.addSql(
      `create unique index \`disclosure_request_recording_request_id_recording_id_unique\` on \`disclosure_request_recording\` (\`request_id\`, \`recording_id\`);`,
    );

    this.addSql(
      `create table \`recording_hold\` (\`id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`recording_id\` text not null, \`reason\` text not null, \`set_by\` text not null, \`disclosure_request_id\` text null, \`released_at\` datetime null, \`released_by\` text null, constraint \`recording_hold_recording_id_foreign\` foreign key(\`recording_id\`) references \`recording\`(\`id\`) on update cascade, primary key (\`id\`));`,
    );
    this.addSql(`create index \`recording_hold_recording_id_index\` on \`recording_hold\` (\`recording_id\`);`);

    this.addSql(
      `create table \`sign_off\` (\`id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`request_id\` text null, \`application_id\` text null, \`step\` text check (\`step\` in ('operator', 'deputy', 'chief')) not null, \`actor\` text not null, \`decision\` text check (\`decision\` in ('approved', 'rejected')) not null, \`comment\` text null, \`signed_at\` datetime not null, constraint \`sign_off_request_id_foreign\` foreign key(\`request_id\`) references \`disclosure_request\`(\`id\`) on delete set null on update cascade, constraint \`sign_off_application_id_foreign\` foreign key(\`application_id\`) references \`full_recording_application\`(\`id\`) on delete set null on update cascade, primary key (\`id\`));`,
    );
    this.addSql(`create index \`sign_off_request_id_index\` on \`sign_off\` (\`request_id\`);`);
    this.addSql(`create index \`sign_off_application_id_index\` on \`sign_off\` (\`application_id\`);`);
  }
}
