ALTER TABLE "events" ADD COLUMN "revision" bigint;--> statement-breakpoint
-- Events that exist already take consecutive revisions from the deployment-wide counter, oldest first,
-- so a client paging expos from revision 0 sees every one of them.
WITH "taken" AS (
	UPDATE "revision_counter" SET "value" = "value" + (SELECT count(*) FROM "events") WHERE "id" = 1 RETURNING "value"
), "numbered" AS (
	SELECT "id", row_number() OVER (ORDER BY "created_at", "id") AS "n" FROM "events"
)
UPDATE "events" SET "revision" = "taken"."value" - (SELECT count(*) FROM "events") + "numbered"."n"
FROM "taken", "numbered" WHERE "events"."id" = "numbered"."id";--> statement-breakpoint
ALTER TABLE "events" ALTER COLUMN "revision" SET NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "events_revision_key" ON "events" USING btree ("revision");--> statement-breakpoint
CREATE INDEX "events_organisation_revision_idx" ON "events" USING btree ("organisation_id","revision");
