import type { KnownBlock, PlainTextElement } from '@slack/types';
import { fit, LIMITS } from './limits.js';

/**
 * Small Block Kit builders shared by every message and view, and the escaping that keeps
 * anything a person typed from becoming a mention or a link when the bot repeats it.
 */

export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * mrkdwn made into the plain sentence Slack shows where it takes plain text only (a modal's field
 * errors, `response_action: "errors"`): `code` and ```blocks``` lose their backticks (inline code is
 * quoted), *bold*, _italic_ and ~strike~ their marks, links become "label (url)", mentions "@id" /
 * "#id", and &amp; &lt; &gt; their characters.
 */
export function plainSentence(mrkdwn: string): string {
  return mrkdwn
    .replace(/```([\s\S]*?)```/g, '$1')
    .replace(/`([^`\n]+)`/g, '"$1"')
    .replace(/<([@#])([A-Z0-9]+)(?:\|([^>]+))?>/g, (_m, sigil: string, id: string, label: string | undefined) => `${sigil}${label ?? id}`)
    .replace(/<!subteam\^([A-Z0-9]+)(?:\|([^>]+))?>/g, (_m, id: string, label: string | undefined) => label ?? `@${id}`)
    .replace(/<!([a-z]+)(?:\|([^>]+))?>/g, (_m, name: string, label: string | undefined) => label ?? `@${name}`)
    .replace(/<([a-z][a-z0-9+.-]*:[^>|]+)\|([^>]+)>/gi, '$2 ($1)')
    .replace(/<([a-z][a-z0-9+.-]*:[^>|]+)>/gi, '$1')
    .replace(/(^|[\s(])([*_~])(?=\S)([^*_~\n]*?\S)\2(?=$|[\s.,;:!?)])/g, '$1$3')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

export function plain(text: string): PlainTextElement {
  return { type: 'plain_text', text, emoji: true };
}

/** A section; text past Block Kit's 3,000 characters is cut (callers keep well under it). */
export function section(mrkdwn: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: fit(mrkdwn, LIMITS.sectionText) } };
}

/** A header; text past Block Kit's 150 characters is cut. */
export function header(text: string): KnownBlock {
  return { type: 'header', text: plain(fit(text, LIMITS.headerText)) };
}

export function context(mrkdwn: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: fit(mrkdwn, LIMITS.textObject) }] };
}

/**
 * Items as a comma-separated list of at most `max`, then how many more there are:
 * "`a`, `b`, `c` and 4 more". Long scope and type lists are shown this way wherever they appear.
 */
export function namedList(items: readonly string[], max: number, show: (item: string) => string = (i) => i): string {
  const named = items.slice(0, max).map(show).join(', ');
  return items.length > max ? `${named} and ${items.length - max} more` : named;
}

export function divider(): KnownBlock {
  return { type: 'divider' };
}

/** An ephemeral answer: only the person who ran the command sees it. */
export interface EphemeralMessage {
  response_type: 'ephemeral';
  text: string;
  blocks: KnownBlock[];
}

export function ephemeral(text: string, blocks: KnownBlock[] = [section(text)]): EphemeralMessage {
  return { response_type: 'ephemeral', text, blocks };
}
