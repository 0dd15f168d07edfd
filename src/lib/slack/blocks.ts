import type { KnownBlock, PlainTextElement } from '@slack/types';

/**
 * Small Block Kit builders shared by every message and view, and the escaping that keeps
 * anything a person typed from becoming a mention or a link when the bot repeats it.
 */

export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

export function plain(text: string): PlainTextElement {
  return { type: 'plain_text', text, emoji: true };
}

export function section(mrkdwn: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: mrkdwn } };
}

export function header(text: string): KnownBlock {
  return { type: 'header', text: plain(text) };
}

export function context(mrkdwn: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: mrkdwn }] };
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
