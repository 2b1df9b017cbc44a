CREATE TABLE "device_checks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"meeting_id" uuid NOT NULL,
	"site_id" uuid NOT NULL,
	"checked_at" timestamp with time zone NOT NULL,
	"browser" text NOT NULL,
	"camera_ok" boolean NOT NULL,
	"mic_ok" boolean NOT NULL,
	"rtt_ms" integer,
	"loss_permille" integer,
	CONSTRAINT "device_checks_rtt_ck" CHECK ("device_checks"."rtt_ms" is null or "device_checks"."rtt_ms" >= 0),
	CONSTRAINT "device_checks_loss_ck" CHECK ("device_checks"."loss_permille" is null or ("device_checks"."loss_permille" >= 0 and "device_checks"."loss_permille" <= 1000))
);
--> statement-breakpoint
ALTER TABLE "device_checks" ADD CONSTRAINT "device_checks_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_checks" ADD CONSTRAINT "device_checks_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "device_checks_meeting_site_idx" ON "device_checks" USING btree ("meeting_id","site_id","checked_at");