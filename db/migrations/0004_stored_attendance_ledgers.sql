CREATE TABLE "attendance_ledgers" (
	"meeting_id" uuid PRIMARY KEY NOT NULL,
	"inputs_hash" text NOT NULL,
	"event_count" integer NOT NULL,
	"ledger" text NOT NULL,
	"report_head" text NOT NULL,
	"report_sites" text NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "attendance_ledgers" ADD CONSTRAINT "attendance_ledgers_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE cascade ON UPDATE no action;