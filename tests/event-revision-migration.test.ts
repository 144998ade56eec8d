import "reflect-metadata";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { MIGRATIONS_FOLDER } from "@/src/db/database.js";

const MIGRATION = "0005_event-revisions";

/** The migrations folder as it was before event revisions: the same files, the journal cut there. */
function folderBefore(tag: string): string {
  const folder = mkdtempSync(join(tmpdir(), "visit-migrations-"));
  cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalFile = join(folder, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: { tag: string }[] };
  const index = journal.entries.findIndex((entry) => entry.tag === tag);
  assert.ok(index > 0, `${tag} is in the journal`);
  journal.entries = journal.entries.slice(0, index);
  writeFileSync(journalFile, JSON.stringify(journal));
  return folder;
}

describe(`migration ${MIGRATION}`, () => {
  it("gives existing events consecutive revisions from the counter, oldest first, and moves the counter past them", async () => {
    const client = await PGlite.create();
    const db = drizzle(client);
    const before = folderBefore(MIGRATION);
    try {
      await migrate(db, { migrationsFolder: before });
      await client.exec(`
        INSERT INTO organisations (id, name) VALUES ('org', 'Org');
        UPDATE revision_counter SET value = 41 WHERE id = 1;
        INSERT INTO events (id, organisation_id, name, start, "end", timezone, created_at) VALUES
          ('second0000000', 'org', 'Second', now(), now(), 'UTC', '2026-02-01T00:00:00Z'),
          ('first00000000', 'org', 'First', now(), now(), 'UTC', '2026-01-01T00:00:00Z'),
          ('third00000000', 'org', 'Third', now(), now(), 'UTC', '2026-03-01T00:00:00Z');`);

      await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });

      const events = await client.query<{ id: string; revision: number }>(
        "SELECT id, revision::int AS revision FROM events ORDER BY revision",
      );
      assert.deepEqual(events.rows, [
        { id: "first00000000", revision: 42 },
        { id: "second0000000", revision: 43 },
        { id: "third00000000", revision: 44 },
      ]);
      const counter = await client.query<{ value: number }>(
        "SELECT value::int AS value FROM revision_counter WHERE id = 1",
      );
      assert.deepEqual(counter.rows, [{ value: 44 }]);
      await assert.rejects(
        client.query(
          "INSERT INTO events (id, organisation_id, name, start, \"end\", timezone) VALUES ('none000000000', 'org', 'No revision', now(), now(), 'UTC')",
        ),
        /null value in column "revision"/,
      );
    } finally {
      rmSync(before, { recursive: true, force: true });
      await client.close();
    }
  });
});
