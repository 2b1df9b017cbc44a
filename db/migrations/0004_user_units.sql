-- Every account belongs to a unit; existing ones (and the first admin) are national staff. The
-- nation's row is made sure of here so the foreign key holds before the tree is seeded.
INSERT INTO "admin_units" ("code", "name", "place_type", "level", "parent_code") VALUES ('VN', 'Việt Nam', 'Quốc gia', 'national', NULL) ON CONFLICT DO NOTHING;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "unit_code" text DEFAULT 'VN' NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_unit_code_admin_units_code_fk" FOREIGN KEY ("unit_code") REFERENCES "public"."admin_units"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "users_unit_idx" ON "users" USING btree ("unit_code");