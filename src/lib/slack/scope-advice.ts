import type { KnownBlock } from '@slack/types';
import { environmentProblem } from '../credential-input.js';
import { checklistForPolicy, checklistForResourceTypes, looksLikeResourceType, type Checklist } from '../digitalocean/advice.js';
import { groupByResource } from '../digitalocean/catalogue.js';
import { hasPolicy, policyFor, type EnvironmentPolicy, type ScopePolicy } from '../scope-policy.js';
import { context, ephemeral, escapeMrkdwn, header, namedList, section, type EphemeralMessage } from './blocks.js';

/** `/do-creds scopes [environment | resource types…]`: the custom-scope checklist to tick. */

const MAX_SECTION_CHARS = 2_900;
/** Scopes or types named in one list before "and N more". */
const MAX_NAMED = 12;
/** Checklist sections in one answer, leaving room in Block Kit's 50 blocks for the rest. */
const MAX_CHECKLIST_SECTIONS = 40;
const code = (s: string) => `\`${s}\``;

export async function scopesMessage(policy: ScopePolicy, command: string, args: readonly string[]): Promise<EphemeralMessage> {
  if (args.length === 0) return overview(policy, command);
  if (args.some(looksLikeResourceType) || args.length > 1) return forResourceTypes(command, args);
  const env = args[0]?.toLowerCase() ?? '';
  if (environmentProblem(env) !== undefined) {
    return ephemeral(`\`${escapeMrkdwn(env.slice(0, 40))}\` is neither an environment nor a Terraform resource type (like \`digitalocean_droplet\`). ${usage(command)}`);
  }
  return forEnvironment(policy, command, env);
}

function usage(command: string): string {
  return `Use \`${command} scopes <environment>\` for what an environment requires, or \`${command} scopes digitalocean_droplet digitalocean_vpc …\` for the resource types your Terraform uses.`;
}

function overview(policy: ScopePolicy, command: string): EphemeralMessage {
  const blocks: KnownBlock[] = [header('Scopes for a DigitalOcean token'), section(usage(command))];
  blocks.push(section(hasPolicy(policy) ? policySummary(policy) : 'No scope policy is configured: every valid token is accepted, whatever its scopes. For least privilege, tick only what your Terraform needs.'));
  return ephemeral('Scopes for a DigitalOcean token', blocks);
}

/** One line per environment the policy names, plus what every environment requires. */
export function policySummary(policy: ScopePolicy): string {
  const line = (name: string, rules: EnvironmentPolicy) => `• *${escapeMrkdwn(name)}*: ${rulesText(rules)}`;
  const lines = [line('every environment', policyFor(policy, '')), ...Object.keys(policy.environments).sort().map((env) => line(env, policyFor(policy, env)))];
  return fitLines(['*What this workspace requires*', ...lines], 'environments');
}

function rulesText(rules: EnvironmentPolicy): string {
  const parts = [rules.require.length > 0 ? namedList(rules.require, MAX_NAMED, code) : 'no particular scopes'];
  const expiry = lifetimeText(rules);
  if (expiry) parts.push(expiry);
  if (rules.unverifiable === 'refuse') parts.push('refused when DigitalOcean cannot confirm them');
  return parts.join('; ');
}

function lifetimeText(rules: EnvironmentPolicy): string | undefined {
  if (rules.maxLifetimeDays !== undefined) return `tokens expiring within ${rules.maxLifetimeDays} days`;
  return rules.requireExpiry ? 'tokens with an expiry date' : undefined;
}

function forEnvironment(policy: ScopePolicy, command: string, env: string): EphemeralMessage {
  const rules = policyFor(policy, env);
  const list = checklistForPolicy(rules);
  const blocks: KnownBlock[] = [header(`Scopes for ${env}`)];
  if (list.scopes.length === 0 && list.aliases.length === 0) {
    blocks.push(section(`\`${env}\` requires no particular scopes: every valid token is accepted. For least privilege, list the scopes your Terraform needs with \`${command} scopes digitalocean_droplet …\`.`));
  } else {
    blocks.push(...checklistBlocks(list, `\`${env}\` requires ${namedList(rules.require, MAX_NAMED, code)}.`));
  }
  const lifetime = lifetimeText(rules);
  if (lifetime) blocks.push(section(`*Expiration:* only ${lifetime} (set when generating the token).`));
  return ephemeral(`Scopes for ${env}`, blocks);
}

async function forResourceTypes(command: string, args: readonly string[]): Promise<EphemeralMessage> {
  const advice = await checklistForResourceTypes(args);
  const blocks: KnownBlock[] = [header('Scopes for your Terraform')];
  if (advice.types.length > 0) {
    blocks.push(section(fitLines([`For ${namedList(advice.types, MAX_NAMED, code)}.`], 'types')));
    blocks.push(...checklistBlocks(advice, ''));
  }
  const notes: string[] = [];
  if (advice.spacesKeyTypes.length > 0) {
    const types = namedList(advice.spacesKeyTypes, MAX_NAMED, code);
    notes.push(`${types} ${advice.spacesKeyTypes.length === 1 ? 'works' : 'work'} on Spaces with the Spaces access key, not the token's scopes: creating a bucket needs a Full Access key.`);
  }
  if (advice.incompleteTypes.length > 0) {
    notes.push(`For ${namedList(advice.incompleteTypes, MAX_NAMED, code)} the provider makes calls do-creds could not map to scopes: the list may be short of one.`);
  }
  for (const u of advice.unknown.slice(0, MAX_NAMED)) {
    notes.push(`\`${escapeMrkdwn(u.name.slice(0, 60))}\` is not a resource type of the DigitalOcean provider${u.suggestion ? ` (did you mean \`${u.suggestion}\`?)` : ''}.`);
  }
  if (advice.unknown.length > MAX_NAMED) notes.push(`… and ${advice.unknown.length - MAX_NAMED} more names that are not resource types.`);
  if (notes.length > 0) blocks.push(section(fitLines(notes, 'notes')));
  if (advice.types.length === 0) blocks.push(context(usage(command)));
  blocks.push(
    context(
      `Worked out from the API calls each type makes in the DigitalOcean Terraform provider (${advice.sources.provider.slice(0, 7)}) and the scopes DigitalOcean's API spec (${advice.sources.openapi.slice(0, 7)}) lists for them. A Full Access token needs no list.`,
    ),
  );
  return ephemeral('Scopes for your Terraform', blocks);
}

function checklistBlocks(list: Checklist, lead: string): KnownBlock[] {
  const lines = groupByResource(list.scopes).map(([resource, actions]) => `• *${resource}*: ${actions.join(', ')}`);
  const intro = lead ? `${fitLines([lead], 'scopes')} ` : '';
  if (list.aliases.includes('api:write')) return [section(`${intro}That means a *Full Access* token.`)];
  if (list.aliases.includes('api:read') && list.scopes.length === 0) return [section(`${intro}That means a *Read Only* (or Full Access) token.`)];
  const title = `${intro}In the control panel choose *Custom Scopes* and tick these ${list.scopes.length} (the control panel adds some of them by itself):`;
  const readAll = list.aliases.includes('api:read') ? ['• and every read scope (`api:read`)'] : [];
  // At most MAX_CHECKLIST_SECTIONS sections: Block Kit allows 50 blocks in a message.
  const chunks = chunkLines([title, ...lines, ...readAll]);
  const shown = chunks.slice(0, MAX_CHECKLIST_SECTIONS).map((chunk) => section(chunk));
  const hidden = chunks.slice(MAX_CHECKLIST_SECTIONS).reduce((n, c) => n + c.split('\n').length, 0);
  return hidden > 0 ? [...shown, context(`… and ${hidden} more lines of scopes.`)] : shown;
}

/** Lines in sections of at most MAX_SECTION_CHARS; a single longer line is cut. */
function chunkLines(lines: string[]): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = raw.length > MAX_SECTION_CHARS ? `${raw.slice(0, MAX_SECTION_CHARS - 1)}…` : raw;
    if (current && current.length + line.length + 1 > MAX_SECTION_CHARS) {
      chunks.push(current);
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) chunks.push(current);
  return chunks;
}

/** As many whole lines as fit one section, then how many more `what` were left out. */
function fitLines(lines: string[], what: string): string {
  const kept: string[] = [];
  for (const [i, line] of lines.entries()) {
    const rest = lines.length - i;
    const room = MAX_SECTION_CHARS - 40 - kept.join('\n').length;
    if (line.length + 1 > room) {
      if (kept.length === 0) return `${line.slice(0, room - 1)}… (and more ${what})`;
      kept.push(`… and ${rest} more ${what}`);
      break;
    }
    kept.push(line);
  }
  return kept.join('\n');
}
