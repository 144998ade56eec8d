import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SCENARIO } from "@/bench/scenarios.js";
import {
  evaluateTargets,
  type Measurement,
  ratioAcrossRounds,
  summariseRows,
} from "@/bench/support/round-summary.js";
import { must } from "../support/must.js";

// The bench's arithmetic: ratios are taken within each interleaved round, then summarised by their
// median and range; targets pass or miss on that median.

const measured = (perSecond: number, extra: Partial<Measurement> = {}): Measurement => ({
  perSecond,
  p50Ms: 1_000 / perSecond,
  p99Ms: 5_000 / perSecond,
  errors: 0,
  responses: perSecond * 10,
  errorStatuses: {},
  ...extra,
});

describe("bench round summary", () => {
  it("divides within each round, not the medians of each side", () => {
    // Round 2 is slow for both sides: per-round ratios stay 0.5, the ratio of medians would be 0.4.
    const project = [measured(50), measured(10), measured(40)];
    const baseline = [measured(100), measured(20), measured(80)];
    const project2 = [measured(50), measured(20), measured(60)];
    assert.deepEqual(ratioAcrossRounds(project, baseline), {
      median: 0.5,
      min: 0.5,
      max: 0.5,
      rounds: [0.5, 0.5, 0.5],
    });
    const spread = must(ratioAcrossRounds(project2, baseline), "ratioAcrossRounds(project2, baseline)");
    assert.deepEqual(spread.rounds, [0.5, 1, 0.75]);
    assert.equal(spread.median, 0.75);
    assert.equal(spread.min, 0.5);
    assert.equal(spread.max, 1);
  });

  it("reports medians of req/s and latencies, sums of errors, and both ratio columns", () => {
    const rows = summariseRows(
      [
        { name: SCENARIO.baselineById, unit: "req/s" },
        { name: SCENARIO.peerById, unit: "req/s", baseline: SCENARIO.baselineById },
        {
          name: SCENARIO.graphqlById,
          unit: "req/s",
          baseline: SCENARIO.baselineById,
          peer: SCENARIO.peerById,
        },
        { name: "left out with --only", unit: "req/s" },
      ],
      new Map([
        [SCENARIO.baselineById, [measured(1_000), measured(900), measured(1_100)]],
        [SCENARIO.peerById, [measured(400), measured(450), measured(500)]],
        [
          SCENARIO.graphqlById,
          [measured(600), measured(450, { errors: 2, errorStatuses: { "500": 2 } }), measured(550)],
        ],
      ]),
    );
    assert.deepEqual(
      rows.map((row) => row.name),
      [SCENARIO.baselineById, SCENARIO.peerById, SCENARIO.graphqlById],
    );
    const graphql = rows[2];
    assert.equal(graphql.perSecond, 550);
    assert.equal(graphql.p50Ms, 1_000 / 550);
    assert.equal(graphql.errors, 2);
    assert.deepEqual(graphql.errorStatuses, { "500": 2 });
    assert.deepEqual(graphql.ratio?.rounds, [0.6, 0.5, 0.5]);
    assert.equal(graphql.ratio?.median, 0.5);
    assert.deepEqual(graphql.peerRatio?.rounds, [1.5, 1, 1.1]);
    assert.equal(graphql.peerRatio?.median, 1.1);
    assert.equal(rows[0].ratio, undefined);
  });

  it("passes a target on the median ratio, misses it on errors, and skips what was not measured", () => {
    const rows = summariseRows(
      [
        { name: SCENARIO.baselineById, unit: "req/s" },
        { name: SCENARIO.peerById, unit: "req/s" },
        { name: SCENARIO.graphqlById, unit: "req/s" },
        { name: SCENARIO.writesAlone, unit: "req/s" },
        { name: SCENARIO.writesDuringBulk, unit: "req/s", baseline: SCENARIO.writesAlone },
      ],
      new Map([
        [SCENARIO.baselineById, [measured(1_000), measured(1_000), measured(1_000)]],
        // One round below 1.0x PostGraphile, the median above it.
        [SCENARIO.peerById, [measured(500), measured(600), measured(500)]],
        [SCENARIO.graphqlById, [measured(700), measured(550), measured(650)]],
        [SCENARIO.writesAlone, [measured(300), measured(300), measured(300)]],
        [
          SCENARIO.writesDuringBulk,
          [measured(200), measured(200, { errors: 1, errorStatuses: { "0": 1 } }), measured(200)],
        ],
      ]),
    );
    const targets = evaluateTargets(rows);
    const verdict = (numerator: string, denominator: string) =>
      targets.find((target) => target.numerator === numerator && target.denominator === denominator);

    const peer = must(
      verdict(SCENARIO.graphqlById, SCENARIO.peerById),
      "the verdict of graphqlById against peerById",
    );
    assert.equal(peer.verdict, "PASS");
    assert.equal(peer.threshold, 1.0);
    assert.equal(peer.ratio?.median, 1.3);
    assert.ok(Math.abs(peer.ratio.min - 550 / 600) < 1e-9);

    const baseline = must(
      verdict(SCENARIO.graphqlById, SCENARIO.baselineById),
      "the verdict of graphqlById against baselineById",
    );
    assert.equal(baseline.verdict, "PASS");
    assert.equal(baseline.ratio?.median, 0.65);

    const contention = must(
      verdict(SCENARIO.writesDuringBulk, SCENARIO.writesAlone),
      "the verdict of writesDuringBulk against writesAlone",
    );
    assert.equal(contention.verdict, "MISS");
    assert.match(contention.note ?? "", /errors in writes: createVisitor during bulk imports/);

    const list = must(
      verdict(SCENARIO.graphqlList, SCENARIO.peerList),
      "the verdict of graphqlList against peerList",
    );
    assert.equal(list.verdict, "SKIP");
    assert.equal(list.ratio, null);
  });
});
