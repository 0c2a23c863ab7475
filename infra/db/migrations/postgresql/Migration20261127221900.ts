import { Migration } from '@mikro-orm/migrations';

export class Migration20261127221900 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "audit_chain_head" ("id" int not null, "last_seq" int not null, "last_hash" varchar(64) not null, constraint "audit_chain_head_pkey" primary key ("id"));`,
    );

    this.addSql(
      `create table "audit_event" ("seq" int not null, "at" timestamptz not null, "actor" varchar(128) not null, "role" varchar(32) not null, "source_address" varchar(64) not null, "action" varchar(64) not null, "target_type" varchar(64) not null, "target_id" varchar(128) not null, "reason" varchar(1000) not null, "detail" text not null, "prev_hash" varchar(64) not null, "hash" varchar(64) not null, constraint "audit_event_pkey" primary key ("seq"));`,
    );
    this.addSql(`alter table "audit_event" add constraint "audit_event_hash_unique" unique ("hash");`);
    this.addSql(`create index "audit_event_target_type_target_id_index" on "audit_event" ("target_type", "target_id");`);
    this.addSql(`create index "audit_event_at_index" on "audit_event" ("at");`);
    this.addSql(`create index "audit_event_actor_index" on "audit_event" ("actor");`);

    this.addSql(
      `create table "department" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "code" varchar(64) not null, "name" varchar(100) not null, "kind" text check ("kind" in ('city_hall', 'affiliated_institution', 'business_office', 'subordinate_agency', 'council_secretariat', 'department', 'team')) not null, "parent_id" uuid null, "is_managing_department" boolean not null default false, "directory_dn" varchar(512) null, constraint "department_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "department" add constraint "department_code_unique" unique ("code");`);
    this.addSql(`alter table "department" add constraint "department_directory_dn_unique" unique ("directory_dn");`);

    this.addSql(
      `create table "disclosure_request" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "management_number" varchar(16) not null, "year" int not null, "sequence" int not null, "workflow_id" varchar(200) not null, "kind" text check ("kind" in ('viewing', 'provision')) not null, "status" text check ("status" in ('registered', 'in_sign_off', 'awaiting_handover', 'released', 'awaiting_destruction_report', 'closed', 'rejected', 'withdrawn')) not null default 'registered', "applicant_name" varchar(100) not null, "applicant_birth_date_or_business_number" varchar(32) not null, "applicant_address" varchar(300) not null, "applicant_contact" varchar(64) not null, "applicant_email" varchar(254) null, "requested_recording_time" varchar(100) not null, "requested_phone_number" varchar(32) not null, "purpose" varchar(500) not null, "relation_to_party" varchar(200) not null, "reason" text not null, "ground" text check ("ground" in ('party', 'other_law')) not null, "ground_detail" text null, "received_at" timestamptz not null, "registered_by" varchar(128) not null, constraint "disclosure_request_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "disclosure_request" add constraint "disclosure_request_management_number_unique" unique ("management_number");`);
    this.addSql(`alter table "disclosure_request" add constraint "disclosure_request_workflow_id_unique" unique ("workflow_id");`);
    this.addSql(`alter table "disclosure_request" add constraint "disclosure_request_year_sequence_unique" unique ("year", "sequence");`);

    this.addSql(
      `create table "destruction_report" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "request_id" uuid not null, "due_at" timestamptz not null, "reported_at" timestamptz null, "destroyed_at" timestamptz null, "method" text check ("method" in ('delete_overwrite', 'physical_destruction', 'other')) null, "method_detail" varchar(500) null, "all_copies_destroyed" boolean null, "witness" varchar(100) null, "recorded_by" varchar(128) null, "document_key" varchar(255) null, constraint "destruction_report_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "destruction_report" add constraint "destruction_report_request_id_unique" unique ("request_id");`);

    this.addSql(
      `create table "extension" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "number" varchar(32) not null, "department_id" uuid not null, "owner" varchar(128) null, "mode" text check ("mode" in ('selective', 'full')) not null default 'selective', "notice_method" text check ("notice_method" in ('announcement', 'verbal')) not null default 'verbal', "full_recording_since" timestamptz null, constraint "extension_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "extension" add constraint "extension_number_unique" unique ("number");`);

    this.addSql(
      `create table "full_recording_application" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workflow_id" varchar(200) not null, "applicant" varchar(128) not null, "department_id" uuid not null, "ground" text check ("ground" in ('interest_related_complaints', 'malicious_complaints', 'other')) not null, "reason" text not null, "period_from" timestamptz not null, "period_to" timestamptz null, "status" text check ("status" in ('under_review', 'approved', 'active', 'rejected', 'ended', 'revoked')) not null default 'under_review', "decided_by" varchar(128) null, "decided_at" timestamptz null, "decision_reason" text null, "applied_at" timestamptz null, "ended_at" timestamptz null, constraint "full_recording_application_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "full_recording_application" add constraint "full_recording_application_workflow_id_unique" unique ("workflow_id");`);

    this.addSql(
      `create table "full_recording_application_extension" ("full_recording_application_id" uuid not null, "extension_id" uuid not null, constraint "full_recording_application_extension_pkey" primary key ("full_recording_application_id", "extension_id"));`,
    );

    this.addSql(
      `create table "handover_receipt" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "request_id" uuid not null, "document_key" varchar(255) not null, "recipient_name" varchar(100) not null, "handed_over_by" varchar(128) not null, "signed_at" timestamptz null, "signature_kind" text check ("signature_kind" in ('on_screen', 'paper_scan')) null, "signed_document_key" varchar(255) null, "received_at" timestamptz null, constraint "handover_receipt_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "handover_receipt" add constraint "handover_receipt_request_id_unique" unique ("request_id");`);

    this.addSql(
      `create table "ledger_entry" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "request_id" uuid not null, "management_number" varchar(16) not null, "applied_at" timestamptz not null, "applicant_name" varchar(100) not null, "applicant_birth_date_or_business_number" varchar(32) not null, "applicant_address" varchar(300) not null, "recording_time" varchar(100) not null, "recorded_phone_number" varchar(32) not null, "purpose" varchar(500) not null, "remarks" varchar(500) null, "sign_off_operator" varchar(100) null, "sign_off_deputy" varchar(100) null, "sign_off_chief" varchar(100) null, constraint "ledger_entry_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "ledger_entry" add constraint "ledger_entry_request_id_unique" unique ("request_id");`);
    this.addSql(`alter table "ledger_entry" add constraint "ledger_entry_management_number_unique" unique ("management_number");`);

    this.addSql(
      `create table "notification" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "idempotency_key" varchar(200) not null, "channel" text check ("channel" in ('email', 'post', 'in_app')) not null, "recipient" varchar(254) not null, "subject" varchar(300) not null, "body" text not null, "related_type" varchar(64) not null, "related_id" varchar(128) not null, "triggered_at" timestamptz not null, "status" text check ("status" in ('pending', 'sent', 'failed')) not null default 'pending', "sent_at" timestamptz null, "attempts" int not null default 0, "last_error" text null, constraint "notification_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "notification" add constraint "notification_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "notification_related_type_related_id_index" on "notification" ("related_type", "related_id");`);
    this.addSql(`create index "notification_status_index" on "notification" ("status");`);

    this.addSql(
      `create table "recording" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "call_id" varchar(128) not null, "extension_id" uuid not null, "started_at" timestamptz not null, "ended_at" timestamptz null, "other_party_number" varchar(32) null, "direction" text check ("direction" in ('inbound', 'outbound', 'internal')) not null, "mode" text check ("mode" in ('selective', 'full')) not null, "notice_given" boolean not null default false, "notice_evidence" varchar(255) null, "codec" text check ("codec" in ('PCMU', 'PCMA')) not null, "duration_ms" int null, "size_bytes" int null, "storage_key" varchar(255) null, "sha256" varchar(64) null, "wrapped_key" text null, "recovered" boolean not null default false, "retention_due_at" timestamptz not null, "deleted_at" timestamptz null, "deletion_reason" varchar(255) null, constraint "recording_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "recording" add constraint "recording_call_id_unique" unique ("call_id");`);
    this.addSql(`create index "recording_started_at_index" on "recording" ("started_at");`);
    this.addSql(`create index "recording_retention_due_at_index" on "recording" ("retention_due_at");`);

    this.addSql(
      `create table "disclosure_request_recording" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "request_id" uuid not null, "recording_id" uuid not null, "confirmed_by" varchar(128) not null, constraint "disclosure_request_recording_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "disclosure_request_recording" add constraint "disclosure_request_recording_request_id_recording_id_unique" unique ("request_id", "recording_id");`,
    );

    this.addSql(
      `create table "recording_hold" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "recording_id" uuid not null, "reason" varchar(500) not null, "set_by" varchar(128) not null, "disclosure_request_id" uuid null, "released_at" timestamptz null, "released_by" varchar(128) null, constraint "recording_hold_pkey" primary key ("id"));`,
    );

    this.addSql(
      `create table "sign_off" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "request_id" uuid null, "application_id" uuid null, "step" text check ("step" in ('operator', 'deputy', 'chief')) not null, "actor" varchar(128) not null, "decision" text check ("decision" in ('approved', 'rejected')) not null, "comment" text null, "signed_at" timestamptz not null, constraint "sign_off_pkey" primary key ("id"));`,
    );

    this.addSql(
      `alter table "department" add constraint "department_parent_id_foreign" foreign key ("parent_id") references "department" ("id") on update cascade on delete set null;`,
    );

    this.addSql(
      `alter table "destruction_report" add constraint "destruction_report_request_id_foreign" foreign key ("request_id") references "disclosure_request" ("id") on update cascade;`,
    );

    this.addSql(
      `alter table "extension" add constraint "extension_department_id_foreign" foreign key ("department_id") references "department" ("id") on update cascade;`,
    );

    this.addSql(
      `alter table "full_recording_application" add constraint "full_recording_application_department_id_foreign" foreign key ("department_id") references "department" ("id") on update cascade;`,
    );

    this.addSql(
      `alter table "full_recording_application_extension" add constraint "full_recording_application_extension_full_record_598ef_foreign" foreign key ("full_recording_application_id") references "full_recording_application" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "full_recording_application_extension" add constraint "full_recording_application_extension_extension_id_foreign" foreign key ("extension_id") references "extension" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "handover_receipt" add constraint "handover_receipt_request_id_foreign" foreign key ("request_id") references "disclosure_request" ("id") on update cascade;`,
    );

    this.addSql(
      `alter table "ledger_entry" add constraint "ledger_entry_request_id_foreign" foreign key ("request_id") references "disclosure_request" ("id") on update cascade;`,
    );

    this.addSql(
      `alter table "recording" add constraint "recording_extension_id_foreign" foreign key ("extension_id") references "extension" ("id") on update cascade;`,
    );

    this.addSql(
      `alter table "disclosure_request_recording" add constraint "disclosure_request_recording_request_id_foreign" foreign key ("request_id") references "disclosure_request" ("id") on update cascade;`,
    );
    this.addSql(
      `alter table "disclosure_request_recording" add constraint "disclosure_request_recording_recording_id_foreign" foreign key ("recording_id") references "recording" ("id") on update cascade;`,
    );

    this.addSql(
      `alter table "recording_hold" add constraint "recording_hold_recording_id_foreign" foreign key ("recording_id") references "recording" ("id") on update cascade;`,
    );

    this.addSql(
      `alter table "sign_off" add constraint "sign_off_request_id_foreign" foreign key ("request_id") references "disclosure_request" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "sign_off" add constraint "sign_off_application_id_foreign" foreign key ("application_id") references "full_recording_application" ("id") on update cascade on delete set null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "department" drop constraint "department_parent_id_foreign";`);

    this.addSql(`alter table "extension" drop constraint "extension_department_id_foreign";`);

    this.addSql(`alter table "full_recording_application" drop constraint "full_recording_application_department_id_foreign";`);

    this.addSql(`alter table "destruction_report" drop constraint "destruction_report_request_id_foreign";`);

    this.addSql(`alter table "handover_receipt" drop constraint "handover_receipt_request_id_foreign";`);

    this.addSql(`alter table "ledger_entry" drop constraint "ledger_entry_request_id_foreign";`);

    this.addSql(`alter table "disclosure_request_recording" drop constraint "disclosure_request_recording_request_id_foreign";`);

    this.addSql(`alter table "sign_off" drop constraint "sign_off_request_id_foreign";`);

    this.addSql(`alter table "full_recording_application_extension" drop constraint "full_recording_application_extension_extension_id_foreign";`);

    this.addSql(`alter table "recording" drop constraint "recording_extension_id_foreign";`);

    this.addSql(`alter table "full_recording_application_extension" drop constraint "full_recording_application_extension_full_record_598ef_foreign";`);

    this.addSql(`alter table "sign_off" drop constraint "sign_off_application_id_foreign";`);

    this.addSql(`alter table "disclosure_request_recording" drop constraint "disclosure_request_recording_recording_id_foreign";`);

    this.addSql(`alter table "recording_hold" drop constraint "recording_hold_recording_id_foreign";`);

    this.addSql(`drop table if exists "audit_chain_head" cascade;`);

    this.addSql(`drop table if exists "audit_event" cascade;`);

    this.addSql(`drop table if exists "department" cascade;`);

    this.addSql(`drop table if exists "disclosure_request" cascade;`);

    this.addSql(`drop table if exists "destruction_report" cascade;`);

    this.addSql(`drop table if exists "extension" cascade;`);

    this.addSql(`drop table if exists "full_recording_application" cascade;`);

    this.addSql(`drop table if exists "full_recording_application_extension" cascade;`);

    this.addSql(`drop table if exists "handover_receipt" cascade;`);

    this.addSql(`drop table if exists "ledger_entry" cascade;`);

    this.addSql(`drop table if exists "notification" cascade;`);

    this.addSql(`drop table if exists "recording" cascade;`);

    this.addSql(`drop table if exists "disclosure_request_recording" cascade;`);

    this.addSql(`drop table if exists "recording_hold" cascade;`);

    this.addSql(`drop table if exists "sign_off" cascade;`);
  }
}
