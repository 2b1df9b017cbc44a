CREATE TABLE "province_nodes" (
	"province_code" text PRIMARY KEY NOT NULL,
	"node_id" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sfu_nodes" (
	"id" text PRIMARY KEY NOT NULL,
	"signaling_url" text NOT NULL,
	"media_address" text NOT NULL,
	"capacity" integer NOT NULL,
	"draining" boolean DEFAULT false NOT NULL,
	"load" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp (3) with time zone NOT NULL,
	"heartbeat_at" timestamp (3) with time zone NOT NULL,
	"dead_at" timestamp (3) with time zone,
	CONSTRAINT "sfu_nodes_capacity_positive" CHECK ("sfu_nodes"."capacity" >= 1),
	CONSTRAINT "sfu_nodes_load_nonnegative" CHECK ("sfu_nodes"."load" >= 0)
);
--> statement-breakpoint
CREATE TABLE "site_placements" (
	"meeting_id" uuid NOT NULL,
	"site_id" uuid NOT NULL,
	"node_id" text,
	"at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "site_placements_meeting_id_site_id_pk" PRIMARY KEY("meeting_id","site_id")
);
--> statement-breakpoint
ALTER TABLE "province_nodes" ADD CONSTRAINT "province_nodes_province_code_admin_units_code_fk" FOREIGN KEY ("province_code") REFERENCES "public"."admin_units"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "province_nodes" ADD CONSTRAINT "province_nodes_node_id_sfu_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."sfu_nodes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "site_placements" ADD CONSTRAINT "site_placements_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "site_placements" ADD CONSTRAINT "site_placements_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "site_placements" ADD CONSTRAINT "site_placements_node_id_sfu_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."sfu_nodes"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "site_placements_node_idx" ON "site_placements" USING btree ("node_id");