ALTER TYPE "public"."invite_status" ADD VALUE 'superseded';--> statement-breakpoint
DROP INDEX "invites_delivery_uq";--> statement-breakpoint
ALTER TABLE "invites" ADD COLUMN "resend" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "invites_delivery_uq" ON "invites" USING btree ("meeting_id","site_id","sequence","kind","resend");