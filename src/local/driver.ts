import { readFile, stat } from 'node:fs/promises';
import { FIELD } from '../lib/slack/credentials-modal.js';
import { looksLikeCredential, type Field } from '../lib/credential-input.js';
import { slackSignature } from './api-gateway.js';
import { renderBlocks, renderMrkdwn, renderView } from './render.js';
import type { OutboxEntry } from './slack-stub.js';

/**
 * `npm run slack -- ...`: drives the bot in terminal mode as Slack would. Signs each request with the
 * development signing secret, sends it to the local server, and prints what Slack would show.
 * Secrets never travel as arguments (npm prints them, shells keep them): they are asked for with
 * nothing shown, read from stdin, or read from a private file. See USAGE.
 */

export interface DriverOptions {
  url: string;
  secret: string;
  /** Asks for a secret the form needs; the answer must never be shown (see scripts/slack.ts). */
  ask: (question: string) => Promise<string>;
  user?: string;
  channel?: string;
}

/** The secrets a form asks for, by field, with what the question says and the secrets file's keys. */
const ASKED: Partial<Record<Field, { question: string; keys: string[] }>> = {
  token: { question: 'DigitalOcean API token (dop_v1_...): ', keys: ['DO_TOKEN', 'DIGITALOCEAN_TOKEN', 'DIGITALOCEAN_ACCESS_TOKEN'] },
  // Not a secret, but easily swapped with the secret key when pasting: asked the same way.
  accessKey: { question: 'Spaces access key: ', keys: ['SPACES_ACCESS_KEY', 'SPACES_ACCESS_KEY_ID'] },
  secretKey: { question: 'Spaces secret key: ', keys: ['SPACES_SECRET_KEY', 'SPACES_SECRET_ACCESS_KEY'] },
};

/** The secrets file's keys, each naming a field (several names: those of .env files and Terraform's provider). */
function fileKeys(): Record<string, Field> {
  const out: Record<string, Field> = {};
  for (const [field, a] of Object.entries(ASKED) as [Field, { keys: string[] }][]) for (const key of a.keys) out[key] = field;
  return out;
}

export const USAGE = `Usage (with \`npm start\` running in terminal mode, from the same folder):
  npm run slack -- "/do-creds <words>"         a slash command: help, setup, status, rotate <env>,
                                               delete <env>, terraform <env>, scopes [env | types...]
  npm run slack -- click <action_id> [value]   a button, as printed next to it
                                               (e.g. click open_credentials_modal)
  npm run slack -- submit [field=value ...]    submits the open form; fields left out keep the value
                                               the form shows; the secrets it needs are asked for
  npm run slack -- home                        opens the bot's Home tab
  npm run slack -- scan [--in <N>d]            runs the daily expiry scan now, or as it would run
                                               N days from now (e.g. --in 7d): alerts as it posts them
  npm run slack -- help                        this text

Options, anywhere:
  --user <U...>           act as another Slack user (default ULOCALDEV)
  --channel <C...>        act from another channel (default CLOCALDEV)
  --secrets-file <path>   read the secrets from a file only you can read (chmod 600), in KEY=value
                          lines: DO_TOKEN, SPACES_ACCESS_KEY, SPACES_SECRET_KEY (Terraform's names
                          DIGITALOCEAN_TOKEN, SPACES_ACCESS_KEY_ID, SPACES_SECRET_ACCESS_KEY too)

Secrets (the API token, the Spaces keys) are never taken as arguments: npm prints its arguments and
your shell keeps them in its history. Type them when asked (nothing is shown), pipe them on stdin one
per line in the order asked, or use --secrets-file.

The server's address: DO_CREDS_URL, else http://127.0.0.1:$PORT (default 3000).`;

/** Runs one driver command and returns what Slack would show, as text; throws a sentence on misuse. */
export async function drive(args: string[], o: DriverOptions): Promise<string> {
  const parsed = parseOptions(args);
  const [first, ...rest] = parsed.words;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') return USAGE;
  if (first === 'submit') refuseBarePairs(rest);
  refuseSecretArguments(parsed.words);
  const opts: DriverOptions = { ...o, user: parsed.user ?? o.user, channel: parsed.channel ?? o.channel };
  if (first === 'scan') return scan(rest, opts);
  const before = await outbox(o.url);
  const request = await requestFor(first, rest, before, opts, parsed.secretsFile);
  const res = await reach(o.url, `${o.url}/slack/events`, signed(o.secret, request));
  const text = await res.text();
  const after = (await outbox(o.url)).slice(before.length);
  return [renderAnswer(res.status, text), ...after.map(renderEntry)].filter(Boolean).join('\n\n');
}

interface Request {
  contentType: string;
  body: string;
}

/** The request Slack would send for a driver command. */
async function requestFor(first: string, rest: string[], history: OutboxEntry[], o: DriverOptions, secretsFile?: string): Promise<Request> {
  if (first.startsWith('/')) return form(commandBody(first, rest, o));
  if (first === 'click' && rest[0] && rest.length <= 2) return form(payloadBody(clickPayload(rest[0], rest[1], o)));
  if (first === 'click') throw new Error(`click takes a button's action id and, if it has one, its value: npm run slack -- click <action_id> [value].`);
  if (first === 'home') return { contentType: 'application/json', body: JSON.stringify(homeOpenedEvent(o)) };
  if (first === 'submit') {
    const secrets = secretsFile === undefined ? {} : await readSecretsFile(secretsFile);
    return form(payloadBody(await submitPayload(rest, history, o, secrets)));
  }
  throw new Error(`Unknown command: ${first.slice(0, 40)}\n\n${USAGE}`);
}

const form = (body: string): Request => ({ contentType: 'application/x-www-form-urlencoded', body });

/** Signed as Slack signs: HMAC of `v0:{timestamp}:{body}` in x-slack-signature. */
function signed(secret: string, r: Request): RequestInit {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    method: 'POST',
    headers: {
      'content-type': r.contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSignature(secret, timestamp, r.body),
    },
    body: r.body,
  };
}

// ---------------------------------------------------------------------------------------------
// The expiry scan, run by the local server as of a day to come

const MAX_SCAN_DAYS = 3_650;

/** `scan [--in <N>d]`: the days ahead, 0 without --in. */
function scanDays(words: string[]): number {
  const how = `scan takes one option, --in <N>d (days from now, 0 to ${MAX_SCAN_DAYS}), e.g. npm run slack -- scan --in 7d.`;
  if (words.length === 0) return 0;
  const value = words[0] === '--in' && words.length === 2 ? words[1] : words.length === 1 && words[0]?.startsWith('--in=') ? words[0].slice(5) : undefined;
  const m = /^(\d{1,4})d?$/.exec(value ?? '');
  const days = Number(m?.[1]);
  if (!m || days > MAX_SCAN_DAYS) throw new Error(how);
  return days;
}

async function scan(words: string[], o: DriverOptions): Promise<string> {
  const inDays = scanDays(words);
  const before = await outbox(o.url);
  const res = await reach(o.url, `${o.url}/_local/scan`, signed(o.secret, { contentType: 'application/json', body: JSON.stringify({ inDays }) }));
  if (res.status === 401) return renderAnswer(401, '');
  if (res.status === 404) throw new Error(`The server at ${o.url} does not run the scan from here: restart it (\`npm start\` or \`npm run demo\`) from this folder, then try again.`);
  if (res.status !== 200) throw new Error(`The local server at ${o.url} answered ${res.status} to the scan: look at its terminal for errors.`);
  const { at, summary: t } = (await res.json()) as { at: string; summary: { listed: number; checked: number; alertsSent: number; revokedFound: number; failures: number } };
  const after = (await outbox(o.url)).slice(before.length);
  const when = inDays === 0 ? 'today' : `today + ${inDays} day${inDays === 1 ? '' : 's'}`;
  const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  const summary =
    `[expiry scan as of ${at.slice(0, 10)} (${when}), as the daily scan would run then]\n` +
    `${count(t.listed, 'credential set')} listed, ${count(t.checked, 'token')} checked with DigitalOcean, ${count(t.alertsSent, 'alert')} sent, ` +
    `${count(t.revokedFound, 'token')} found no longer working, ${count(t.failures, 'failure')}.` +
    (t.alertsSent === 0 ? '\n(No alert was due: each threshold is alerted once per token; --in <N>d looks further ahead.)' : '');
  return [summary, ...after.map(renderEntry)].join('\n\n');
}

// ---------------------------------------------------------------------------------------------
// Options and the refusal of secrets as arguments

interface ParsedArgs {
  words: string[];
  user?: string;
  channel?: string;
  secretsFile?: string;
}

const OPTIONS = ['--user', '--channel', '--secrets-file'] as const;

/** Takes the known options out of the arguments, wherever they are (`--user U1` or `--user=U1`). */
function parseOptions(args: string[]): ParsedArgs {
  const out: ParsedArgs = { words: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const name = OPTIONS.find((n) => arg === n || arg.startsWith(`${n}=`));
    if (name === undefined) {
      out.words.push(arg);
      continue;
    }
    const value = arg === name ? args[++i] : arg.slice(name.length + 1);
    if (!value) throw new Error(`${name} needs a value: ${name} <${name === '--secrets-file' ? 'path' : 'id'}>.`);
    if (name === '--secrets-file') out.secretsFile = value;
    else out[name === '--user' ? 'user' : 'channel'] = slackId(name, value);
  }
  return out;
}

/** A user (U/W) or channel (C/G/D) id as Slack sends them; anything else would only confuse the bot. */
function slackId(option: string, value: string): string {
  const pattern = option === '--user' ? /^[UW][A-Z0-9]{2,20}$/ : /^[CGD][A-Z0-9]{2,20}$/;
  if (pattern.test(value)) return value;
  const example = option === '--user' ? 'UALICE1' : 'CPLATFORM';
  throw new Error(`${option} takes a Slack id in capitals, e.g. ${option} ${example}; that value is not one (it is not repeated here).`);
}

const WHY_NOT_ARGUMENTS = 'npm prints its arguments and your shell keeps them in its history';
const HOW_INSTEAD =
  'Leave secrets out: they are asked for with nothing shown, or piped on stdin one per line, or read with --secrets-file <path> (see `npm run slack -- help`)';

/** Block ids and field names whose values are secrets: refused as arguments, whatever the value. */
const SECRET_ARGUMENT_NAMES = new Set<string>(['token', FIELD.token, 'secretKey', FIELD.secretKey]);

/** Refuses a secret given as an argument, before anything is sent; never repeats the value. */
function refuseSecretArguments(words: string[]): void {
  for (const word of words) {
    const name = word.includes('=') ? word.slice(0, word.indexOf('=')) : undefined;
    if (name !== undefined && SECRET_ARGUMENT_NAMES.has(name)) {
      throw new Error(`${name} is a secret, so it is not taken on the command line (${WHY_NOT_ARGUMENTS}); nothing was sent. ${HOW_INSTEAD}.${FORGET}`);
    }
    if (looksLikeCredential(word)) {
      throw new Error(`An argument looks like a DigitalOcean token or Spaces secret, so nothing was sent and it is not repeated here: secrets are not taken on the command line (${WHY_NOT_ARGUMENTS}). ${HOW_INSTEAD}.${FORGET}`);
    }
  }
}

const FORGET = ' If it was a real credential, remove it from your shell history, or revoke it and create a new one.';

/** A bare word after submit may be a pasted secret: refused without repeating it. */
function refuseBarePairs(pairs: string[]): void {
  if (pairs.every((p) => p.includes('='))) return;
  throw new Error(
    `Everything after submit must be field=value (${knownNames(FORM_NAMES)}); one argument is not, so nothing was sent, and it is not repeated here (it may be a secret). ` +
      `Secrets are not taken on the command line (${WHY_NOT_ARGUMENTS}). ${HOW_INSTEAD}.`,
  );
}

// ---------------------------------------------------------------------------------------------
// Secrets: from a file, or asked for

/**
 * Reads KEY=value lines (blank lines and # comments skipped, `export ` and surrounding quotes
 * allowed, as in .env files). Refuses a file others can read: it holds live credentials.
 */
async function readSecretsFile(path: string): Promise<Partial<Record<Field, string>>> {
  await refuseSharedFile(path);
  const keys = fileKeys();
  const out: Partial<Record<Field, string>> = {};
  const lines = (await readFile(path, 'utf8')).split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim().replace(/^export\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const at = line.indexOf('=');
    // Neither the line nor an unknown key is repeated: either may be a secret on the wrong line.
    if (at < 1) throw new Error(`${path}, line ${i + 1}: not KEY=value. Keys: ${Object.keys(keys).join(', ')}.`);
    const field = keys[line.slice(0, at).trim()];
    if (field === undefined) throw new Error(`${path}, line ${i + 1}: unknown key. Keys: ${Object.keys(keys).join(', ')}.`);
    out[field] = unquote(line.slice(at + 1).trim());
  });
  return out;
}

function unquote(value: string): string {
  const q = value[0];
  return (q === '"' || q === "'") && value.length >= 2 && value.endsWith(q) ? value.slice(1, -1) : value;
}

async function refuseSharedFile(path: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || !info.isFile()) throw new Error(`The secrets file ${path} does not exist or is not a file.`);
  // Windows has no such mode bits; elsewhere group or others may not read (or write) it.
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8);
    throw new Error(`The secrets file ${path} can be read or changed by others (mode ${mode}), so it was not read: run \`chmod 600 ${path}\` and try again.`);
  }
}

// ---------------------------------------------------------------------------------------------
// The form: what is open, and its submission

interface InputBlock {
  type?: string;
  block_id?: string;
  element?: {
    type?: string;
    action_id?: string;
    max_length?: number;
    initial_value?: string;
    initial_date?: string;
    initial_option?: { value?: string };
    options?: { text?: object; value?: string }[];
  };
}

interface OpenForm {
  /** The outbox entry of views.open: the view's identity (an update keeps it). */
  n: number;
  view: { callback_id?: string; private_metadata?: string; submit?: object; title?: object; blocks?: InputBlock[] };
}

/** The form Slack would show now: the last one opened, as its last update left it. */
function openForm(history: OutboxEntry[]): OpenForm {
  const at = history.findLastIndex((e) => e.method === 'views.open');
  const opened = history[at];
  if (opened === undefined) throw new Error('No form is open: run `npm run slack -- click open_credentials_modal` (or `"/do-creds rotate <env>"`) first.');
  const updated = history.slice(at + 1).findLast((e) => e.method === 'views.update');
  const view = ((updated ?? opened).args.view ?? {}) as OpenForm['view'];
  if (!view.callback_id || !view.submit) {
    throw new Error(`The open form has nothing to submit; it says:\n${renderView(view)}`);
  }
  return { n: opened.n, view };
}

const inputsOf = (view: OpenForm['view']): InputBlock[] => (view.blocks ?? []).filter((b) => b.type === 'input' && b.block_id);

/** Field names (token) for the credentials form's block ids (do_token); other forms use block ids. */
const FIELD_OF_BLOCK = new Map(Object.entries(FIELD).map(([field, block]) => [block, field as Field]));
const FORM_NAMES = Object.values(FIELD);

function knownNames(blockIds: string[]): string {
  const names = blockIds.map((b) => (FIELD_OF_BLOCK.has(b) && FIELD_OF_BLOCK.get(b) !== b ? `${FIELD_OF_BLOCK.get(b)} (${b})` : b));
  return `fields: ${names.join(', ')}`;
}

/** The given field=value pairs by block id; unknown or repeated names are refused, values never repeated. */
function givenValues(pairs: string[], inputs: InputBlock[]): Map<string, string> {
  const blockIds = inputs.map((b) => b.block_id as string);
  const given = new Map<string, string>();
  for (const pair of pairs) {
    const name = pair.slice(0, pair.indexOf('='));
    const block = blockIds.includes(name) ? name : FIELD[name as Field];
    if (block === undefined || !blockIds.includes(block)) throw new Error(`The form has no field called ${name.slice(0, 40)}: ${knownNames(blockIds)}.`);
    if (given.has(block)) throw new Error(`${name} is given twice.`);
    const value = pair.slice(pair.indexOf('=') + 1);
    // Checked now, before any secret is asked for: a typo should not cost typing them again.
    stateOf(inputs.find((b) => b.block_id === block) as InputBlock, name, value);
    given.set(block, value);
  }
  return given;
}

async function submitPayload(pairs: string[], history: OutboxEntry[], o: DriverOptions, secrets: Partial<Record<Field, string>>): Promise<object> {
  const { n, view } = openForm(history);
  const inputs = inputsOf(view);
  const given = givenValues(pairs, inputs);
  const values: Record<string, Record<string, object>> = {};
  for (const block of inputs) {
    const id = block.block_id as string;
    const field = FIELD_OF_BLOCK.get(id);
    // As in Slack: what is typed, else what the form already holds (a rotation's environment, region, bucket).
    let value = given.get(id) ?? (field && secrets[field]) ?? initialOf(block);
    const asked = field && ASKED[field];
    if (value === undefined && asked) value = (await o.ask(asked.question)).trim();
    values[id] = { [block.element?.action_id ?? `${id}_input`]: stateOf(block, field ?? id, value) };
  }
  return {
    type: 'view_submission',
    user: { id: o.user ?? 'ULOCALDEV', team_id: 'TLOCALDEV' },
    team: { id: 'TLOCALDEV' },
    trigger_id: `trigger-${Date.now()}`,
    view: { id: `VLOCAL${n}`, type: 'modal', callback_id: view.callback_id, private_metadata: view.private_metadata, state: { values }, hash: String(n) },
  };
}

function initialOf(block: InputBlock): string | undefined {
  const e = block.element ?? {};
  return e.initial_value ?? e.initial_option?.value ?? e.initial_date;
}

/** An input's state as Slack sends it; a value Slack's own input could not produce is refused. */
function stateOf(block: InputBlock, name: string, value: string | undefined): object {
  const e = block.element ?? {};
  const empty = value === undefined || value === '';
  switch (e.type) {
    case 'static_select': {
      const option = (e.options ?? []).find((opt) => opt.value === value);
      if (!empty && option === undefined) throw new Error(`${name} is one of: ${(e.options ?? []).map((opt) => opt.value).join(', ')}.`);
      return { type: e.type, selected_option: option ?? null };
    }
    case 'datepicker':
      if (!empty && !/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new Error(`${name} is a date: YYYY-MM-DD.`);
      return { type: e.type, selected_date: empty ? null : value };
    default:
      if (!empty && e.max_length !== undefined && value.length > e.max_length) throw new Error(`${name} takes at most ${e.max_length} characters.`);
      return { type: e.type ?? 'plain_text_input', value: empty ? null : value };
  }
}

// ---------------------------------------------------------------------------------------------
// Slash commands, buttons, events

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

/** What Slack's Events API sends when the person opens the app's Home tab. */
function homeOpenedEvent(o: DriverOptions): object {
  return {
    type: 'event_callback',
    team_id: 'TLOCALDEV',
    api_app_id: 'ALOCALDEV',
    event_id: `Ev${Date.now()}`,
    event_time: Math.floor(Date.now() / 1000),
    event: { type: 'app_home_opened', user: o.user ?? 'ULOCALDEV', channel: 'DLOCALDEV', tab: 'home', event_ts: `${Date.now() / 1000}` },
  };
}

function payloadBody(payload: object): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

// ---------------------------------------------------------------------------------------------
// The local server

/** fetch, with a sentence instead of "fetch failed" when the server is not there. */
async function reach(base: string, url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const code = cause?.code ?? cause?.message ?? (error as Error).name;
    throw new Error(unreachable(base, code), { cause: error });
  }
}

function unreachable(base: string, code: string): string {
  if (code === 'ECONNREFUSED') {
    return `The local server is not running at ${base}: start it with \`npm run demo\` (offline) or \`npm start\` in another terminal (same folder), then try again. If it listens elsewhere, set PORT or DO_CREDS_URL.`;
  }
  if (code === 'TimeoutError') return `The local server at ${base} did not answer within 30 seconds: look at its terminal for errors.`;
  return `Could not reach the local server at ${base} (${code}): is \`npm start\` running there?`;
}

async function outbox(url: string): Promise<OutboxEntry[]> {
  const res = await reach(url, `${url}/_local/outbox`);
  if (res.status === 404) {
    throw new Error(`The server at ${url} serves real Slack (SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN are set), so it cannot be driven from here: restart \`npm start\` without them for terminal mode.`);
  }
  if (!res.ok) throw new Error(`The local server at ${url} answered ${res.status}: look at its terminal for errors.`);
  return (await res.json()) as OutboxEntry[];
}

// ---------------------------------------------------------------------------------------------
// What Slack would show

function renderAnswer(status: number, text: string): string {
  if (status === 401) {
    return 'The server refused the request signature: run `npm run slack` from the folder where `npm start` runs (it signs with .local/dev-signing-secret), or unset SLACK_SIGNING_SECRET here.';
  }
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
    case 'views.update':
      return `[the form changes]\n${renderView(a.view as never)}`;
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
