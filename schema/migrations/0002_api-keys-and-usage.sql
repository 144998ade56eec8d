CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"organisation_id" text NOT NULL,
	"secret_hash" text NOT NULL,
	"prefix" text NOT NULL,
	"state" text NOT NULL,
	"comments" text,
	"expires_at" timestamp with time zone,
	"allowed_ips" text[] DEFAULT '{}' NOT NULL,
	"event_ids" text[] DEFAULT '{}' NOT NULL,
	"can_write" boolean DEFAULT false NOT NULL,
	"contact_name" text,
	"contact_email" text,
	"contact_phone" text,
	"rate_limit_per_minute" integer,
	"concurrency_limit" integer,
	"created_by" text,
	"last_used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_key_audit" (
	"id" text PRIMARY KEY NOT NULL,
	"organisation_id" text NOT NULL,
	"api_key_id" text NOT NULL,
	"action" text NOT NULL,
	"user_id" text,
	"changes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_usage_days" (
	"organisation_id" text NOT NULL,
	"principal" text NOT NULL,
	"type" text NOT NULL,
	"start" timestamp with time zone NOT NULL,
	"calls" integer DEFAULT 0 NOT NULL,
	"client_errors" integer DEFAULT 0 NOT NULL,
	"server_errors" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "api_usage_days_organisation_id_principal_type_start_pk" PRIMARY KEY("organisation_id","principal","type","start")
);
--> statement-breakpoint
CREATE TABLE "api_usage_minutes" (
	"organisation_id" text NOT NULL,
	"principal" text NOT NULL,
	"type" text NOT NULL,
	"start" timestamp with time zone NOT NULL,
	"calls" integer DEFAULT 0 NOT NULL,
	"client_errors" integer DEFAULT 0 NOT NULL,
	"server_errors" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "api_usage_minutes_organisation_id_principal_type_start_pk" PRIMARY KEY("organisation_id","principal","type","start")
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_secret_hash_key" ON "api_keys" USING btree ("secret_hash");--> statement-breakpoint
CREATE INDEX "api_keys_organisation_idx" ON "api_keys" USING btree ("organisation_id");--> statement-breakpoint
CREATE INDEX "api_key_audit_organisation_at_idx" ON "api_key_audit" USING btree ("organisation_id","at");--> statement-breakpoint
CREATE INDEX "api_key_audit_key_idx" ON "api_key_audit" USING btree ("api_key_id","at");--> statement-breakpoint
CREATE INDEX "api_usage_days_organisation_start_idx" ON "api_usage_days" USING btree ("organisation_id","start");--> statement-breakpoint
CREATE INDEX "api_usage_minutes_organisation_start_idx" ON "api_usage_minutes" USING btree ("organisation_id","start");