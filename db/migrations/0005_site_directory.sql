CREATE TYPE "public"."directory_import_status" AS ENUM('previewed', 'applied', 'discarded');--> statement-breakpoint
CREATE TABLE "directory_imports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"unit_code" text NOT NULL,
	"file_name" text,
	"format" text NOT NULL,
	"status" "directory_import_status" DEFAULT 'previewed' NOT NULL,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"applied_at" timestamp with time zone,
	"line_count" integer NOT NULL,
	"lines" jsonb NOT NULL,
	"problems" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "meetings" ADD COLUMN "reference_number" text;--> statement-breakpoint
ALTER TABLE "meetings" ADD COLUMN "cancel_reason" text;--> statement-breakpoint
ALTER TABLE "sites" ADD COLUMN "responsible_person" text;--> statement-breakpoint
ALTER TABLE "sites" ADD COLUMN "hall_address" text;--> statement-breakpoint
ALTER TABLE "sites" ADD COLUMN "note" text;--> statement-breakpoint
ALTER TABLE "directory_imports" ADD CONSTRAINT "directory_imports_unit_code_admin_units_code_fk" FOREIGN KEY ("unit_code") REFERENCES "public"."admin_units"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_imports" ADD CONSTRAINT "directory_imports_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "directory_imports_unit_idx" ON "directory_imports" USING btree ("unit_code","created_at");