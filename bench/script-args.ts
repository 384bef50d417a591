import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * The flags of an npm script (gen, bench, soak, demo), one way for all: `--help`/`-h` prints
 * USAGE on stdout and exits 0; an unknown flag, a missing value or a stray argument is one line
 * on stderr, `<script>: unknown option '--bogus' (see npm run <script> -- --help)`, and exit 2.
 */
export function scriptArgs<O extends Options>(script: { name: string; npm: string; usage: string }, argv: string[], options: O) {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(script.usage);
    process.exit(0);
  }
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options }).values;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!code.startsWith('ERR_PARSE_ARGS_')) throw err;
    process.stderr.write(`${script.name}: ${firstSentence((err as Error).message)} (see npm run ${script.npm} -- --help)\n`);
    process.exit(2);
  }
}

/** Node's "Unknown option '--bogus'. To specify a positional argument …" → "unknown option '--bogus'". */
function firstSentence(message: string): string {
  const first = message.split(/\.\s/)[0] ?? message;
  return first.charAt(0).toLowerCase() + first.slice(1).replace(/\.$/, '');
}
