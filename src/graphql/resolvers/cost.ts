import type { ComplexityEstimatorArgs } from "graphql-query-complexity";
import { MAX_PAGE_SIZE } from "@/src/services/change-feed.js";

/** A page costs its size times what each node asks for. */
export const pageCost = ({ args, childComplexity }: ComplexityEstimatorArgs) =>
  1 +
  (typeof args.first === "number" ? Math.min(args.first, MAX_PAGE_SIZE) : MAX_PAGE_SIZE) * childComplexity;
