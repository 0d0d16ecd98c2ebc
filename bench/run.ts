// Benchmark dispatcher: `npm run bench -- <name> [args]` runs bench/<name>.ts's exported run(args).
const [name, ...args] = process.argv.slice(2);
if (!name || !/^[a-z0-9-]+$/.test(name)) {
  process.stderr.write('usage: npm run bench -- <name> [args]  (a file bench/<name>.ts)\n');
  process.exit(2);
}
const module = (await import(`./${name}.ts`)) as { run: (args: string[]) => Promise<void> | void };
await module.run(args);
