CREATE TABLE "meeting_series" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"uid" text NOT NULL,
	"title" text NOT NULL,
	"agenda" text,
	"reference_number" text,
	"host_site_id" uuid NOT NULL,
	"rule" jsonb NOT NULL,
	"first_starts_at" timestamp with time zone NOT NULL,
	"duration_minutes" integer NOT NULL,
	"until_at" timestamp with time zone,
	"excluded_starts" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"sequence" integer DEFAULT 0 NOT NULL,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "meeting_series_uid_unique" UNIQUE("uid")
);
--> statement-breakpoint
DROP INDEX "invites_delivery_uq";--> statement-breakpoint
ALTER TABLE "invites" ADD COLUMN "whole_series" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "meetings" ADD COLUMN "series_id" uuid;--> statement-breakpoint
ALTER TABLE "meetings" ADD COLUMN "occurrence_start" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "site_tokens" ADD COLUMN "series_id" uuid;--> statement-breakpoint
ALTER TABLE "meeting_series" ADD CONSTRAINT "meeting_series_host_site_id_sites_id_fk" FOREIGN KEY ("host_site_id") REFERENCES "public"."sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meeting_series" ADD CONSTRAINT "meeting_series_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings" ADD CONSTRAINT "meetings_series_id_meeting_series_id_fk" FOREIGN KEY ("series_id") REFERENCES "public"."meeting_series"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "site_tokens" ADD CONSTRAINT "site_tokens_series_id_meeting_series_id_fk" FOREIGN KEY ("series_id") REFERENCES "public"."meeting_series"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "meetings_series_occurrence_uq" ON "meetings" USING btree ("series_id","occurrence_start");--> statement-breakpoint
CREATE UNIQUE INDEX "invites_delivery_uq" ON "invites" USING btree ("meeting_id","site_id","sequence","kind","resend","whole_series");--> statement-breakpoint
ALTER TABLE "meetings" ADD CONSTRAINT "meetings_occurrence_has_series" CHECK (("meetings"."series_id" is null) = ("meetings"."occurrence_start" is null));