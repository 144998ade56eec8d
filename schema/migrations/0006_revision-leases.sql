CREATE TABLE "revision_leases" (
	"first_revision" bigint PRIMARY KEY NOT NULL,
	"xid" "xid8" NOT NULL
);
