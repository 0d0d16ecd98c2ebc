// Command-line reading shared by the benchmark scripts (`npm run bench -- NAME [args]`).

/** The value after `--name`, or the fallback when the option is absent. */
export function optionValue(args: readonly string[], name: string, fallback: string): string;
export function optionValue(args: readonly string[], name: string, fallback?: string): string | undefined;
export function optionValue(args: readonly string[], name: string, fallback?: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
}

/** The first argument that is neither an option nor an option's value (an input file). */
export function positionalArg(args: readonly string[]): string | undefined {
  return args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
}
