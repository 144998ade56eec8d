CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhooks" (
	"id" text PRIMARY KEY NOT NULL,
	"organisation_id" text NOT NULL,
	"event_id" text,
	"type" text NOT NULL,
	"url" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"state" text DEFAULT 'WAIT' NOT NULL,
	"error_count" integer DEFAULT 0 NOT NULL,
	"delivered_revision" bigint NOT NULL,
	"covered_revision" bigint,
	"ping_event_id" text,
	"ping_record_id" text,
	"attempt_id" text,
	"next_attempt_at" timestamp with time zone,
	"last_sent_at" timestamp with time zone,
	"last_status" integer,
	"last_error" text,
	"secret" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhooks_event_by_type" CHECK (("webhooks"."type" = 'NOTIFICATION_URL') = ("webhooks"."event_id" IS NULL))
);
--> statement-breakpoint
CREATE TABLE "webhook_audit" (
	"id" text PRIMARY KEY NOT NULL,
	"organisation_id" text NOT NULL,
	"webhook_id" text NOT NULL,
	"event_id" text,
	"action" text NOT NULL,
	"user_id" text,
	"api_key_id" text,
	"changes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"webhook_id" text NOT NULL,
	"organisation_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"message_id" text NOT NULL,
	"covered_revision" bigint NOT NULL,
	"attempt" integer NOT NULL,
	"status" integer,
	"error" text,
	"duration_ms" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhooks" ADD CONSTRAINT "webhooks_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhooks" ADD CONSTRAINT "webhooks_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."webhooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhooks_event_type_idx" ON "webhooks" USING btree ("event_id","type");--> statement-breakpoint
CREATE INDEX "webhooks_organisation_idx" ON "webhooks" USING btree ("organisation_id");--> statement-breakpoint
CREATE UNIQUE INDEX "webhooks_notification_url_key" ON "webhooks" USING btree ("organisation_id") WHERE "webhooks"."type" = 'NOTIFICATION_URL';--> statement-breakpoint
CREATE INDEX "webhook_audit_organisation_at_idx" ON "webhook_audit" USING btree ("organisation_id","at");--> statement-breakpoint
CREATE INDEX "webhook_audit_webhook_idx" ON "webhook_audit" USING btree ("webhook_id","at");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_webhook_at_idx" ON "webhook_deliveries" USING btree ("webhook_id","at");--> statement-breakpoint
CREATE INDEX "visitors_organisation_registered_idx" ON "visitors" USING btree ("organisation_id","revision") WHERE "visitors"."registration_state" = 'REGISTERED' AND NOT "visitors"."deleted";