-- The single row of the deployment-wide revision counter (see revision-counter.table.ts).
INSERT INTO "revision_counter" ("id", "value") VALUES (1, 0) ON CONFLICT DO NOTHING;
