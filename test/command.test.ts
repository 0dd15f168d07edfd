import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/lib/command.js';

describe('parseCommand', () => {
  it('defaults to help for empty or blank text', () => {
    expect(parseCommand('')).toEqual({ kind: 'known', name: 'help', args: [] });
    expect(parseCommand('   \n')).toEqual({ kind: 'known', name: 'help', args: [] });
    expect(parseCommand(undefined)).toEqual({ kind: 'known', name: 'help', args: [] });
  });

  it('reads a subcommand case-insensitively with its arguments', () => {
    expect(parseCommand('Rotate  prod')).toEqual({ kind: 'known', name: 'rotate', args: ['prod'] });
  });

  it('reports an unknown first word as written', () => {
    expect(parseCommand('Deploy prod')).toEqual({ kind: 'unknown', word: 'Deploy' });
  });
});
