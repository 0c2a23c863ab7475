import { Migration } from '@mikro-orm/migrations';

export class Migration20261127221900 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'CREATE TABLE [audit_chain_head] ([id] int not null, [last_seq] int not null, [last_hash] nvarchar(64) not null, CONSTRAINT [audit_chain_head_pkey] PRIMARY KEY ([id]))',
    );
    this.addSql(
      'CREATE TABLE [audit_event] ([seq] int not null, [at] datetime2 not null, [actor] nvarchar(128) not null, [role] nvarchar(32) not null, [source_address] nvarchar(64) not null, [action] nvarchar(64) not null, [target_type] nvarchar(64) not null, [target_id] nvarchar(128) not null, [reason] nvarchar(1000) not null, [detail] nvarchar(max) not null, [prev_hash] nvarchar(64) not null, [hash] nvarchar(64) not null, CONSTRAINT [audit_event_pkey] PRIMARY KEY ([seq]))',
    );
    this.addSql('CREATE UNIQUE INDEX [audit_event_hash_unique] ON [audit_event] ([hash]) WHERE [hash] IS NOT NULL');
    this.addSql('CREATE INDEX [audit_event_target_type_target_id_index] ON [audit_event] ([target_type], [target_id])');
    this.addSql('CREATE INDEX [audit_event_at_index] ON [audit_event] ([at])');
    this.addSql('CREATE INDEX [audit_event_actor_index] ON [audit_event] ([actor])');
    this.addSql(
      "CREATE TABLE [department] ([id] uniqueidentifier not null, [created_at] datetime2 not null, [updated_at] datetime2 not null, [code] nvarchar(64) not null, [name] nvarchar(100) not null, [kind] nvarchar(100) check ([kind] in ('city_hall', 'affiliated_institution', 'business_office', 'subordinate_agency', 'council_secretariat', 'department', 'team')) not null, [parent_id] uniqueidentifier null, [is_managing_department] bit not null CONSTRAINT [department_is_managing_department_default] DEFAULT 0, [directory_dn] nvarchar(512) null, CONSTRAINT [department_pkey] PRIMARY KEY ([id]))",
    );
    this.addSql('CREATE UNIQUE INDEX [department_code_unique] ON [department] ([code]) WHERE [code] IS NOT NULL');
    this.addSql('CREATE UNIQUE INDEX [department_directory_dn_unique] ON [department] ([directory_dn]) WHERE [directory_dn] IS NOT NULL');
    this.addSql(
      "CREATE TABLE [disclosure_request] ([id] uniqueidentifier not null, [created_at] datetime2 not null, [updated_at] datetime2 not null, [management_number] nvarchar(16) not null, [year] int not null, [sequence] int not null, [workflow_id] nvarchar(200) not null, [kind] nvarchar(100) check ([kind] in ('viewing', 'provision')) not null, [status] nvarchar(100) check ([status] in ('registered', 'in_sign_off', 'awaiting_handover', 'released', 'awaiting_destruction_report', 'closed', 'rejected', 'withdrawn')) not null CONSTRAINT [disclosure_request_status_default] DEFAULT 'registered', [applicant_name] nvarchar(100) not null, [applicant_birth_date_or_business_number] nvarchar(32) not null, [applicant_address] nvarchar(300) not null, [applicant_contact] nvarchar(64) not null, [applicant_email] nvarchar(254) null, [requested_recording_time] nvarchar(100) not null, [requested_phone_number] nvarchar(32) not null, [purpose] nvarchar(500) not null, [relation_to_party] nvarchar(200) not null, [reason] nvarchar(max) not null, [ground] nvarchar(100) check ([ground] in ('party', 'other_law')) not null, [ground_detail] nvarchar(max) null, [received_at] datetime2 not null, [registered_by] nvarchar(128) not null, CONSTRAINT [disclosure_request_pkey] PRIMARY KEY ([id]))",
    );
    this.addSql(
      'CREATE UNIQUE INDEX [disclosure_request_management_number_unique] ON [disclosure_request] ([management_number]) WHERE [management_number] IS NOT NULL',
    );
    this.addSql('CREATE UNIQUE INDEX [disclosure_request_workflow_id_unique] ON [disclosure_request] ([workflow_id]) WHERE [workflow_id] IS NOT NULL');
    this.addSql(
      'CREATE UNIQUE INDEX [disclosure_request_year_sequence_unique] ON [disclosure_request] ([year], [sequence]) WHERE [year] IS NOT NULL AND [sequence] IS NOT NULL',
    );
    this.addSql(
      "CREATE TABLE [destruction_report] ([id] uniqueidentifier not null, [created_at] datetime2 not null, [updated_at] datetime2 not null, [request_id] uniqueidentifier not null, [due_at] datetime2 not null, [reported_at] datetime2 null, [destroyed_at] datetime2 null, [method] nvarchar(100) check ([method] in ('delete_overwrite', 'physical_destruction', 'other')) null, [method_detail] nvarchar(500) null, [all_copies_destroyed] bit null, [witness] nvarchar(100) null, [recorded_by] nvarchar(128) null, [document_key] nvarchar(255) null, CONSTRAINT [destruction_report_pkey] PRIMARY KEY ([id]))",
    );
    this.addSql('CREATE UNIQUE INDEX [destruction_report_request_id_unique] ON [destruction_report] ([request_id]) WHERE [request_id] IS NOT NULL');
    this.addSql(
      "CREATE TABLE [extension] ([id] uniqueidentifier not null, [created_at] datetime2 not null, [updated_at] datetime2 not null, [number] nvarchar(32) not null, [department_id] uniqueidentifier not null, [owner] nvarchar(128) null, [mode] nvarchar(100) check ([mode] in ('selective', 'full')) not null CONSTRAINT [extension_mode_default] DEFAULT 'selective', [notice_method] nvarchar(100) check ([notice_method] in ('announcement', 'verbal')) not null CONSTRAINT [extension_notice_method_default] DEFAULT 'verbal', [full_recording_since] datetime2 null, CONSTRAINT [extension_pkey] PRIMARY KEY ([id]))",
    );
    this.addSql('CREATE UNIQUE INDEX [extension_number_unique] ON [extension] ([number]) WHERE [number] IS NOT NULL');
    this.addSql(
      "CREATE TABLE [full_recording_application] ([id] uniqueidentifier not null, [created_at] datetime2 not null, [updated_at] datetime2 not null, [workflow_id] nvarchar(200) not null, [applicant] nvarchar(128) not null, [department_id] uniqueidentifier not null, [ground] nvarchar(100) check ([ground] in ('interest_related_complaints', 'malicious_complaints', 'other')) not null, [reason] nvarchar(max) not null, [period_from] datetime2 not null, [period_to] datetime2 null, [status] nvarchar(100) check ([status] in ('under_review', 'approved', 'active', 'rejected', 'ended', 'revoked')) not null CONSTRAINT [full_recording_application_status_default] DEFAULT 'under_review', [decided_by] nvarchar(128) null, [decided_at] datetime2 null, [decision_reason] nvarchar(max) null, [applied_at] datetime2 null, [ended_at] datetime2 null, CONSTRAINT [full_recording_application_pkey] PRIMARY KEY ([id]))",
    );
    this.addSql(
      'CREATE UNIQUE INDEX [full_recording_application_workflow_id_unique] ON [full_recording_application] ([workflow_id]) WHERE [workflow_id] IS NOT NULL',
    );
    this.addSql(
      'CREATE TABLE [full_recording_application_extension] ([full_recording_application_id] uniqueidentifier not null, [extension_id] uniqueidentifier not null, CONSTRAINT [full_recording_application_extension_pkey] PRIMARY KEY ([full_recording_application_id], [extension_id]))',
    );
    this.addSql(
      "CREATE TABLE [handover_receipt] ([id] uniqueidentifier not null, [created_at] datetime2 not null, [updated_at] datetime2 not null, [request_id] uniqueidentifier not null, [document_key] nvarchar(255) not null, [recipient_name] nvarchar(100) not null, [handed_over_by] nvarchar(128) not null, [signed_at] datetime2 null, [signature_kind] nvarchar(100) check ([signature_kind] in ('on_screen', 'paper_scan')) null, [signed_document_key] nvarchar(255) null, [received_at] datetime2 null, CONSTRAINT [handover_receipt_pkey] PRIMARY KEY ([id]))",
    );
    this.addSql('CREATE UNIQUE INDEX [handover_receipt_request_id_unique] ON [handover_receipt] ([request_id]) WHERE [request_id] IS NOT NULL');
    this.addSql(
      'CREATE TABLE [ledger_entry] ([id] uniqueidentifier not null, [created_at] datetime2 not null, [updated_at] datetime2 not null, [request_id] uniqueidentifier not null, [management_number] nvarchar(16) not null, [applied_at] datetime2 not null, [applicant_name] nvarchar(100) not null, [applicant_birth_date_or_business_number] nvarchar(32) not null, [applicant_address] nvarchar(300) not null, [recording_time] nvarchar(100) not null, [recorded_phone_number] nvarchar(32) not null, [purpose] nvarchar(500) not null, [remarks] nvarchar(500) null, [sign_off_operator] nvarchar(100) null, [sign_off_deputy] nvarchar(100) null, [sign_off_chief] nvarchar(100) null, CONSTRAINT [ledger_entry_pkey] PRIMARY KEY ([id]))',
    );
    this.addSql('CREATE UNIQUE INDEX [ledger_entry_request_id_unique] ON [ledger_entry] ([request_id]) WHERE [request_id] IS NOT NULL');
    this.addSql('CREATE UNIQUE INDEX [ledger_entry_management_number_unique] ON [ledger_entry] ([management_number]) WHERE [management_number] IS NOT NULL');
    this.addSql(
      "CREATE TABLE [notification] ([id] uniqueidentifier not null, [created_at] datetime2 not null, [updated_at] datetime2 not null, [idempotency_key] nvarchar(200) not null, [channel] nvarchar(100) check ([channel] in ('email', 'post', 'in_app')) not null, [recipient] nvarchar(254) not null, [subject] nvarchar(300) not null, [body] nvarchar(max) not null, [related_type] nvarchar(64) not null, [related_id] nvarchar(128) not null, [triggered_at] datetime2 not null, [status] nvarchar(100) check ([status] in ('pending', 'sent', 'failed')) not null CONSTRAINT [notification_status_default] DEFAULT 'pending', [sent_at] datetime2 null, [attempts] int not null CONSTRAINT [notification_attempts_default] DEFAULT 0, [last_error] nvarchar(max) null, CONSTRAINT [notification_pkey] PRIMARY KEY ([id]))",
    );
    this.addSql('CREATE UNIQUE INDEX [notification_idempotency_key_unique] ON [notification] ([idempotency_key]) WHERE [idempotency_key] IS NOT NULL');
    this.addSql('CREATE INDEX [notification_related_type_related_id_index] ON [notification] ([related_type], [related_id])');
    this.addSql('CREATE INDEX [notification_status_index] ON [notification] ([status])');
    this.addSql(
      "CREATE TABLE [recording] ([id] uniqueidentifier not null, [created_at] datetime2 not null, [updated_at] datetime2 not null, [call_id] nvarchar(128) not null, [extension_id] uniqueidentifier not null, [started_at] datetime2 not null, [ended_at] datetime2 null, [other_party_number] nvarchar(32) null, [direction] nvarchar(100) check ([direction] in ('inbound', 'outbound', 'internal')) not null, [mode] nvarchar(100) check ([mode] in ('selective', 'full')) not null, [notice_given] bit not null CONSTRAINT [recording_notice_given_default] DEFAULT 0, [notice_evidence] nvarchar(255) null, [codec] nvarchar(100) check ([codec] in ('PCMU', 'PCMA')) not null, [duration_ms] int null, [size_bytes] int null, [storage_key] nvarchar(255) null, [sha256] nvarchar(64) null, [wrapped_key] nvarchar(max) null, [recovered] bit not null CONSTRAINT [recording_recovered_default] DEFAULT 0, [retention_due_at] datetime2 not null, [deleted_at] datetime2 null, [deletion_reason] nvarchar(255) null, CONSTRAINT [recording_pkey] PRIMARY KEY ([id]))",
    );
    this.addSql('CREATE UNIQUE INDEX [recording_call_id_unique] ON [recording] ([call_id]) WHERE [call_id] IS NOT NULL');
    this.addSql('CREATE INDEX [recording_started_at_index] ON [recording] ([started_at])');
    this.addSql('CREATE INDEX [recording_retention_due_at_index] ON [recording] ([retention_due_at])');
    this.addSql(
      'CREATE TABLE [disclosure_request_recording] ([id] uniqueidentifier not null, [created_at] datetime2 not null, [updated_at] datetime2 not null, [request_id] uniqueidentifier not null, [recording_id] uniqueidentifier not null, [confirmed_by] nvarchar(128) not null, CONSTRAINT [disclosure_request_recording_pkey] PRIMARY KEY ([id]))',
    );
    this.addSql(
      'CREATE UNIQUE INDEX [disclosure_request_recording_request_id_recording_id_unique] ON [disclosure_request_recording] ([request_id], [recording_id]) WHERE [request_id] IS NOT NULL AND [recording_id] IS NOT NULL',
    );
    this.addSql(
      'CREATE TABLE [recording_hold] ([id] uniqueidentifier not null, [created_at] datetime2 not null, [updated_at] datetime2 not null, [recording_id] uniqueidentifier not null, [reason] nvarchar(500) not null, [set_by] nvarchar(128) not null, [disclosure_request_id] uniqueidentifier null, [released_at] datetime2 null, [released_by] nvarchar(128) null, CONSTRAINT [recording_hold_pkey] PRIMARY KEY ([id]))',
    );
    this.addSql(
      "CREATE TABLE [sign_off] ([id] uniqueidentifier not null, [created_at] datetime2 not null, [updated_at] datetime2 not null, [request_id] uniqueidentifier null, [application_id] uniqueidentifier null, [step] nvarchar(100) check ([step] in ('operator', 'deputy', 'chief')) not null, [actor] nvarchar(128) not null, [decision] nvarchar(100) check ([decision] in ('approved', 'rejected')) not null, [comment] nvarchar(max) null, [signed_at] datetime2 not null, CONSTRAINT [sign_off_pkey] PRIMARY KEY ([id]))",
    );
    this.addSql('alter table [department] add constraint [department_parent_id_foreign] foreign key ([parent_id]) references [department] ([id])');
    this.addSql(
      'alter table [destruction_report] add constraint [destruction_report_request_id_foreign] foreign key ([request_id]) references [disclosure_request] ([id]) on update cascade',
    );
    this.addSql(
      'alter table [extension] add constraint [extension_department_id_foreign] foreign key ([department_id]) references [department] ([id]) on update cascade',
    );
    this.addSql(
      'alter table [full_recording_application] add constraint [full_recording_application_department_id_foreign] foreign key ([department_id]) references [department] ([id]) on update cascade',
    );
    this.addSql(
      'alter table [full_recording_application_extension] add constraint [full_recording_application_extension_full_recording_application_id_foreign] foreign key ([full_recording_application_id]) references [full_recording_application] ([id]) on update cascade on delete cascade',
    );
    this.addSql(
      'alter table [full_recording_application_extension] add constraint [full_recording_application_extension_extension_id_foreign] foreign key ([extension_id]) references [extension] ([id]) on update cascade on delete cascade',
    );
    this.addSql(
      'alter table [handover_receipt] add constraint [handover_receipt_request_id_foreign] foreign key ([request_id]) references [disclosure_request] ([id]) on update cascade',
    );
    this.addSql(
      'alter table [ledger_entry] add constraint [ledger_entry_request_id_foreign] foreign key ([request_id]) references [disclosure_request] ([id]) on update cascade',
    );
    this.addSql(
      'alter table [recording] add constraint [recording_extension_id_foreign] foreign key ([extension_id]) references [extension] ([id]) on update cascade',
    );
    this.addSql(
      'alter table [disclosure_request_recording] add constraint [disclosure_request_recording_request_id_foreign] foreign key ([request_id]) references [disclosure_request] ([id]) on update cascade',
    );
    this.addSql(
      'alter table [disclosure_request_recording] add constraint [disclosure_request_recording_recording_id_foreign] foreign key ([recording_id]) references [recording] ([id]) on update cascade',
    );
    this.addSql(
      'alter table [recording_hold] add constraint [recording_hold_recording_id_foreign] foreign key ([recording_id]) references [recording] ([id]) on update cascade',
    );
    this.addSql(
      'alter table [sign_off] add constraint [sign_off_request_id_foreign] foreign key ([request_id]) references [disclosure_request] ([id]) on update cascade on delete set null',
    );
    this.addSql(
      'alter table [sign_off] add constraint [sign_off_application_id_foreign] foreign key ([application_id]) references [full_recording_application] ([id]) on update cascade on delete set null',
    );
  }
}
