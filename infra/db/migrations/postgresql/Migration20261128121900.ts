import { Migration } from '@mikro-orm/migrations';

/** 월간 접근기록 점검: each month's access report and the chief's sign-off (issue 9). */
export class Migration20261128121900 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "access_review" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "month" varchar(7) not null, "workflow_id" varchar(200) not null, "report_document_id" varchar(64) not null, "summary" jsonb not null, "status" text check ("status" in ('awaiting_sign_off', 'signed_off')) not null default 'awaiting_sign_off', "signed_off_by" varchar(128) null, "signed_off_at" timestamptz null, "comment" text null, constraint "access_review_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "access_review" add constraint "access_review_month_unique" unique ("month");`);
  }
}
