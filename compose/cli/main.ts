// Entry point of the tscompose CLI. Returns the process exit code.
export async function main(argv: string[]): Promise<number> {
  void argv;
  console.error('tscompose: not implemented yet');
  return 1;
}
