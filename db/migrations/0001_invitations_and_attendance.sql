CREATE TYPE "public"."attendance_event_kind" AS ENUM('join', 'leave', 'quality', 'floor-given', 'floor-taken');--> statement-breakpoint
CREATE TYPE "public"."invite_kind" AS ENUM('invite', 'update', 'cancel', 'reminder');--> statement-breakpoint
CREATE TYPE "public"."invite_method" AS ENUM('REQUEST', 'CANCEL');--> statement-breakpoint
CREATE TYPE "public"."invite_status" AS ENUM('queued', 'sending', 'sent', 'failed');--> statement-breakpoint
CREATE TYPE "public"."rsvp_answer" AS ENUM('attending', 'declined');--> statement-breakpoint
CREATE TYPE "public"."site_token_purpose" AS ENUM('join', 'readiness', 'calendar');--> statement-breakpoint
CREATE TABLE "attendance_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"meeting_id" uuid NOT NULL,
	"site_id" uuid NOT NULL,
	"kind" "attendance_event_kind" NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"connection_id" text,
	"payload" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "invites" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"meeting_id" uuid NOT NULL,
	"site_id" uuid NOT NULL,
	"sequence" integer NOT NULL,
	"method" "invite_method" NOT NULL,
	"kind" "invite_kind" NOT NULL,
	"recipients" text[] NOT NULL,
	"status" "invite_status" DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_until" timestamp with time zone,
	"last_error" text,
	"message_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "rsvps" (
	"meeting_id" uuid NOT NULL,
	"site_id" uuid NOT NULL,
	"answer" "rsvp_answer" NOT NULL,
	"reason" text,
	"delegate_name" text,
	"answered_at" timestamp with time zone NOT NULL,
	CONSTRAINT "rsvps_meeting_id_site_id_pk" PRIMARY KEY("meeting_id","site_id")
);
--> statement-breakpoint
CREATE TABLE "site_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"token_hash" text NOT NULL,
	"purpose" "site_token_purpose" NOT NULL,
	"meeting_id" uuid,
	"site_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "meetings" ADD COLUMN "started_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "meetings" ADD COLUMN "ended_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "attendance_events" ADD CONSTRAINT "attendance_events_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attendance_events" ADD CONSTRAINT "attendance_events_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invites" ADD CONSTRAINT "invites_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invites" ADD CONSTRAINT "invites_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rsvps" ADD CONSTRAINT "rsvps_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rsvps" ADD CONSTRAINT "rsvps_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "site_tokens" ADD CONSTRAINT "site_tokens_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "site_tokens" ADD CONSTRAINT "site_tokens_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "attendance_events_meeting_idx" ON "attendance_events" USING btree ("meeting_id","site_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "invites_delivery_uq" ON "invites" USING btree ("meeting_id","site_id","sequence","kind");--> statement-breakpoint
CREATE INDEX "invites_due_idx" ON "invites" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "invites_meeting_idx" ON "invites" USING btree ("meeting_id");--> statement-breakpoint
CREATE UNIQUE INDEX "site_tokens_hash_uq" ON "site_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "site_tokens_meeting_site_idx" ON "site_tokens" USING btree ("meeting_id","site_id");