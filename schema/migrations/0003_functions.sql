CREATE TABLE "functions" (
	"id" text PRIMARY KEY NOT NULL,
	"organisation_id" text NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"key" text,
	"code" text NOT NULL,
	"api_key_id" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"state" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"last_success_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "function_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"organisation_id" text NOT NULL,
	"function_id" text NOT NULL,
	"trigger" text NOT NULL,
	"status" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"duration_ms" integer,
	"logs" text DEFAULT '' NOT NULL,
	"error" text
);
--> statement-breakpoint
ALTER TABLE "functions" ADD CONSTRAINT "functions_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "functions_organisation_key_key" ON "functions" USING btree ("organisation_id","key");--> statement-breakpoint
CREATE INDEX "functions_organisation_idx" ON "functions" USING btree ("organisation_id");--> statement-breakpoint
CREATE INDEX "functions_type_enabled_idx" ON "functions" USING btree ("type","enabled");--> statement-breakpoint
CREATE INDEX "function_runs_function_started_idx" ON "function_runs" USING btree ("function_id","started_at");--> statement-breakpoint
CREATE INDEX "function_runs_started_idx" ON "function_runs" USING btree ("started_at");