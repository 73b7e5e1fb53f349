/**
 * How this program starts itself as a child: the compiled binary is its own entry point; from source, the
 * child needs bun and the path of main.ts.
 */
export function selfCommand(): string[] {
  const main = Bun.main;
  return main.endsWith(".ts") || main.endsWith(".js") ? [process.execPath, main] : [process.execPath];
}
