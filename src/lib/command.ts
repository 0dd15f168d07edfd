/** Parsing of the slash command's text: `/do-creds <subcommand> [argument]`. */

export const SUBCOMMANDS = ['help', 'setup', 'status', 'rotate', 'delete', 'terraform', 'scopes'] as const;
export type Subcommand = (typeof SUBCOMMANDS)[number];

export type ParsedCommand =
  | { kind: 'known'; name: Subcommand; args: string[] }
  | { kind: 'unknown'; word: string };

export function parseCommand(text: string | undefined): ParsedCommand {
  const words = (text ?? '').trim().split(/\s+/).filter((w) => w !== '');
  const [first, ...args] = words;
  if (first === undefined) return { kind: 'known', name: 'help', args: [] };
  const name = first.toLowerCase();
  if (isSubcommand(name)) return { kind: 'known', name, args };
  return { kind: 'unknown', word: first };
}

function isSubcommand(word: string): word is Subcommand {
  return (SUBCOMMANDS as readonly string[]).includes(word);
}
