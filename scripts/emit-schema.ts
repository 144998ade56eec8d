import "reflect-metadata";
import { writeFileSync } from "node:fs";
import { printContract } from "@/src/graphql/schema.js";

// Regenerates schema/schema.graphql; tests/contract.test.ts fails while it is stale.
writeFileSync(new URL("../schema/schema.graphql", import.meta.url), await printContract());
console.log("wrote schema/schema.graphql");
