import { type ParseArgsConfig, parseArgs } from "node:util";

export type OptionValues = Record<string, string | boolean | undefined>;

/** Parses `--name value` flags, exiting with the usage text on a typo or `--help`. */
export function parseOptions(
  argv: string[],
  options: NonNullable<ParseArgsConfig["options"]>,
  usage: string,
): OptionValues {
  try {
    const { values } = parseArgs({ args: argv, options: { ...options, help: { type: "boolean" } } });
    if (values.help) {
      console.log(usage);
      process.exit(0);
    }
    return values as OptionValues;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}

/** A positive number flag, or `fallback` when absent; exits naming the flag when it is not one. */
export function positiveNumber(values: OptionValues, name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`--${name} must be a positive number, got ${String(raw)}`);
    process.exit(2);
  }
  return value;
}
