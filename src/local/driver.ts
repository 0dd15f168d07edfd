import { FIELD } from '../lib/slack/credentials-modal.js';
import type { Field } from '../lib/credential-input.js';
import { slackSignature } from './api-gateway.js';
import { renderBlocks, renderMrkdwn, renderView } from './render.js';
import type { OutboxEntry } from './slack-stub.js';

/**
 * `npm run slack -- ...`: drives the bot in terminal mode as Slack would. Signs each request with the
 * development signing secret, sends it to the local server, and prints what Slack would show.
 *
 *   "/do-creds <words>"          a slash command
 *   click <action_id> [value]    a button
 *   submit field=value ...       submits the last form opened (fields: environment, token, expiry,
 *                                expiryDate, accessKey, secretKey, region, bucket); secrets left out
 *                                are asked for, hidden
 */

export interface DriverOptions {
  url: string;
  secret: string;
  /** Asks for a value that was not given (secrets are better typed than put in shell history). */
  ask: (question: string) => Promise<string>;
  user?: string;
  channel?: string;
}

const SECRET_FIELDS: readonly Field[] = ['token', 'accessKey', 'secretKey'];
const QUESTIONS: Partial<Record<Field, string>> = {
  token: 'DigitalOcean API token (dop_v1_...): ',
  accessKey: 'Spaces access key: ',
  secretKey: 'Spaces secret key: ',
};

export async function drive(args: string[], o: DriverOptions): Promise<string> {
  const [first, ...rest] = args;
  if (first === undefined || first === 'help' || first === '--help') return USAGE;
  const before = await outbox(o.url);
  let body: string;
  if (first.startsWith('/')) body = commandBody(first, rest, o);
  else if (first === 'click' && rest[0]) body = payloadBody(clickPayload(rest[0], rest[1], o));
  else if (first === 'submit') body = payloadBody(await submitPayload(rest, before, o));
  else return `Unknown: ${first}\n\n${USAGE}`;

  const timestamp = Math.floor(Date.now() / 1000);
  const res = await fetch(`${o.url}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSignature(o.secret, timestamp, body),
    },
    body,
  });
  const text = await res.text();
  const after = (await outbox(o.url)).slice(before.length);
  return [renderAnswer(res.status, text), ...after.map(renderEntry)].filter(Boolean).join('\n\n');
}

const USAGE = `Usage (with \`npm start\` running in terminal mode):
  npm run slack -- "/do-creds setup"
  npm run slack -- click open_credentials_modal
  npm run slack -- submit environment=prod expiry=90d region=nyc3 [bucket=...]   (secrets are asked for)
  npm run slack -- "/do-creds status"`;

function commandBody(command: string, words: string[], o: DriverOptions): string {
  const [name = '/do-creds', ...inline] = command.split(/\s+/);
  return new URLSearchParams({
    command: name,
    text: [...inline, ...words].join(' '),
    user_id: o.user ?? 'ULOCALDEV',
    user_name: 'local',
    channel_id: o.channel ?? 'CLOCALDEV',
    team_id: 'TLOCALDEV',
    response_url: `${o.url}/response/${Date.now()}`,
    trigger_id: `trigger-${Date.now()}`,
  }).toString();
}

function clickPayload(actionId: string, value: string | undefined, o: DriverOptions): object {
  return {
    type: 'block_actions',
    user: { id: o.user ?? 'ULOCALDEV', team_id: 'TLOCALDEV' },
    team: { id: 'TLOCALDEV' },
    channel: { id: o.channel ?? 'CLOCALDEV' },
    container: { type: 'message', channel_id: o.channel ?? 'CLOCALDEV' },
    trigger_id: `trigger-${Date.now()}`,
    response_url: `${o.url}/response/${Date.now()}`,
    actions: [{ type: 'button', action_id: actionId, block_id: 'local', ...(value ? { value } : {}) }],
  };
}

async function submitPayload(pairs: string[], history: OutboxEntry[], o: DriverOptions): Promise<object> {
  const opened = [...history].reverse().find((e) => e.method === 'views.open');
  if (!opened) throw new Error('No form is open: run `npm run slack -- click open_credentials_modal` first.');
  const view = opened.args.view as { callback_id: string; private_metadata: string };
  if (pairs.some((p) => !p.includes('='))) {
    // Not repeated: it may be a pasted secret.
    throw new Error(`Everything after submit must be field=value (fields: ${Object.keys(FIELD).join(', ')}); leave secrets out to be asked for them.`);
  }
  const given = new Map(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as const));
  const values: Record<string, Record<string, object>> = {};
  for (const field of Object.keys(FIELD) as Field[]) {
    let value = given.get(field) ?? given.get(FIELD[field]);
    if (value === undefined && SECRET_FIELDS.includes(field)) value = await o.ask(QUESTIONS[field] ?? `${field}: `);
    const block = FIELD[field];
    const key = `${block}_input`;
    if (field === 'expiry' || field === 'region') values[block] = { [key]: { type: 'static_select', selected_option: value ? { value } : null } };
    else if (field === 'expiryDate') values[block] = { [key]: { type: 'datepicker', selected_date: value ?? null } };
    else values[block] = { [key]: { type: 'plain_text_input', value: value ?? null } };
  }
  return {
    type: 'view_submission',
    user: { id: o.user ?? 'ULOCALDEV', team_id: 'TLOCALDEV' },
    team: { id: 'TLOCALDEV' },
    trigger_id: `trigger-${Date.now()}`,
    view: { id: `VLOCAL${opened.n}`, callback_id: view.callback_id, private_metadata: view.private_metadata, state: { values }, hash: String(opened.n) },
  };
}

function payloadBody(payload: object): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

async function outbox(url: string): Promise<OutboxEntry[]> {
  const res = await fetch(`${url}/_local/outbox`);
  if (!res.ok) throw new Error(`The local server at ${url} is not in terminal mode (or not running): start it with \`npm start\`.`);
  return (await res.json()) as OutboxEntry[];
}

function renderAnswer(status: number, text: string): string {
  if (status !== 200) return `HTTP ${status}${text ? `: ${text}` : ''}`;
  if (text === '') return '';
  const json = JSON.parse(text) as { blocks?: object[]; text?: string; response_action?: string; errors?: Record<string, string>; view?: object };
  if (json.response_action === 'errors') {
    return 'The form shows errors:\n' + Object.entries(json.errors ?? {}).map(([field, msg]) => `  ${field}: ${msg}`).join('\n');
  }
  if (json.response_action === 'clear') return '(the form closed)';
  if (json.response_action === 'update') return renderView(json.view as never);
  return `[only you can see this]\n${json.blocks ? renderBlocks(json.blocks) : renderMrkdwn(json.text ?? '')}`;
}

function renderEntry(e: OutboxEntry): string {
  const a = e.args as { view?: object; blocks?: object[]; text?: string; channel?: string; user?: string; user_id?: string };
  const content = a.blocks ? renderBlocks(a.blocks) : renderMrkdwn(a.text ?? '');
  switch (e.method) {
    case 'views.open':
      return `[a form opens]\n${renderView(a.view as never)}`;
    case 'views.publish':
      return `[Home tab of ${a.user_id ?? ''}]\n${renderBlocks(((a.view as { blocks?: object[] })?.blocks ?? []))}`;
    case 'chat.postEphemeral':
      return `[only ${a.user ?? ''} can see this, in ${a.channel ?? ''}]\n${content}`;
    case 'chat.postMessage':
      return `[message in ${a.channel ?? ''}]\n${content}`;
    case 'response_url':
      return `[reply, only you can see this]\n${content}`;
    default:
      return `[Slack API ${e.method}]`;
  }
}
