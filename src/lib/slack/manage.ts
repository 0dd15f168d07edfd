import type { KnownBlock } from '@slack/types';
import type { CredentialStore, StoredSet } from '../credential-set.js';
import { environmentProblem } from '../credential-input.js';
import { isoDay } from '../expiry.js';
import { isSpacesRegion, spacesEndpoint } from '../regions.js';
import { showFingerprint } from '../fingerprint.js';
import { backendEnvSnippet, backendSnippet, providerSnippet, SnippetParamError, type SnippetParams } from '../terraform-snippet.js';
import { context, ephemeral, escapeMrkdwn, header, plain, section, type EphemeralMessage } from './blocks.js';
import { fit, LIMITS } from './limits.js';
import { statusBlocks } from './status-view.js';
import { storeFaultText } from './store-messages.js';

/** `/do-creds status | rotate | delete | terraform`: reading and managing stored sets. */

export const DELETE_ACTION = 'delete_credentials';

export interface ManageDeps {
  store: CredentialStore;
  awsRegion: string;
  recoveryDays: number;
  now: () => Date;
}

export async function statusMessage(deps: ManageDeps, command: string): Promise<EphemeralMessage> {
  const listed = await deps.store.list();
  if (listed.kind !== 'ok') return ephemeral(storeFaultText(listed, 'read'));
  return ephemeral(`${listed.sets.length} stored credential sets`, statusBlocks(listed.sets, deps.now(), command));
}

export type Lookup = { kind: 'found'; set: StoredSet } | { kind: 'answer'; message: EphemeralMessage };

/** The environment an argument names, or the answer to give instead (no argument, bad name); no network call. */
export function environmentArgument(command: string, sub: string, arg: string | undefined): { kind: 'environment'; environment: string } | { kind: 'answer'; message: EphemeralMessage } {
  if (arg === undefined) {
    return { kind: 'answer', message: ephemeral(`Which environment? Use \`${command} ${sub} <environment>\`, e.g. \`${command} ${sub} prod\`. \`${command} status\` lists them.`) };
  }
  const env = arg.toLowerCase();
  if (environmentProblem(env) !== undefined) {
    return { kind: 'answer', message: ephemeral(`\`${escapeMrkdwn(arg.slice(0, 40))}\` is not an environment name. ${environmentProblem(env)}`) };
  }
  return { kind: 'environment', environment: env };
}

/** What to say when no set is stored for `env`. */
export function notStoredText(command: string, env: string): string {
  return `No credentials are stored for \`${env}\`. \`${command} status\` lists the stored sets; \`${command} setup\` adds one.`;
}

/** Finds the set an argument names, or the answer to give instead (no argument, bad name, none stored). */
export async function lookUpEnvironment(deps: ManageDeps, command: string, sub: string, arg: string | undefined): Promise<Lookup> {
  const named = environmentArgument(command, sub, arg);
  if (named.kind === 'answer') return named;
  const env = named.environment;
  const found = await deps.store.describe(env);
  if (found.kind !== 'ok') return { kind: 'answer', message: ephemeral(storeFaultText(found, 'read')) };
  if (found.set === undefined) return { kind: 'answer', message: ephemeral(notStoredText(command, env)) };
  return { kind: 'found', set: found.set };
}

export function deleteConfirmation(set: StoredSet, recoveryDays: number): EphemeralMessage {
  const env = set.metadata.environment;
  const text = `Delete the DigitalOcean credentials of ${env}?`;
  const blocks: KnownBlock[] = [
    section(
      `*Delete the credentials of \`${env}\`?* Token \`${showFingerprint(set.metadata.tokenFingerprint)}\`, Spaces key \`${escapeMrkdwn(set.metadata.spacesKeyId)}\`.\n` +
        `Terraform runs reading \`${set.name}\` will fail. The secret can be restored for ${recoveryDays} days.`,
    ),
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: DELETE_ACTION,
          style: 'danger',
          value: env,
          text: plain(`Delete ${env}`),
          confirm: {
            title: plain('Delete these credentials?'),
            // Slack's confirmation dialog takes plain text only, at most 300 characters.
            text: plain(fit(`The credentials of ${env} will be deleted. They can be restored within ${recoveryDays} days.`, LIMITS.confirmText)),
            confirm: plain('Delete'),
            deny: plain('Keep them'),
            style: 'danger',
          },
        },
      ],
    },
  ];
  return ephemeral(text, blocks);
}

export async function deleteSet(deps: ManageDeps, env: string): Promise<{ message: EphemeralMessage; deleted: boolean }> {
  const res = await deps.store.delete(env, deps.recoveryDays);
  if (res.kind !== 'ok') return { message: ephemeral(storeFaultText(res, 'delete')), deleted: false };
  if (res.deletionDate === undefined) {
    return { message: ephemeral(`\`${env}\` has no stored credentials any more (already deleted?). Nothing was changed.`), deleted: false };
  }
  const name = deps.store.nameOf(env);
  return {
    deleted: true,
    message: ephemeral(
      `Deleted the credentials of ${env}.`,
      [
        section(
          deps.store.kind === 'secrets-manager'
            ? `:wastebasket: Deleted the credentials of \`${env}\`. They can be restored until ${isoDay(res.deletionDate)}:\n` +
                '```aws secretsmanager restore-secret --secret-id ' + name + '```\n' +
                `Running \`/do-creds setup\` for \`${env}\` before then also brings the secret back, with the new values.`
            : `:wastebasket: Deleted the credentials of \`${env}\` from the local store (${deps.store.description}). ` +
                `Until ${isoDay(res.deletionDate)}, running \`/do-creds setup\` for \`${env}\` brings the set back, with the new values.`,
        ),
      ],
    ),
  };
}

export function terraformMessage(set: StoredSet, awsRegion: string, storeKind: CredentialStore['kind'] = 'secrets-manager'): EphemeralMessage {
  const m = set.metadata;
  const env = escapeMrkdwn(m.environment.slice(0, 40));
  const damagedAnswer = (what: string) =>
    ephemeral(
      `The stored metadata of \`${env}\` looks damaged (its ${what} is not a valid value), so no Terraform is shown for it. ` +
        `\`/do-creds rotate ${env}\` stores the set again and repairs it.`,
    );
  // Fields the store already found damaged were left out (a bucket would fall back to the placeholder).
  const flagged = (['environment', 'spacesRegion', 'spacesBucket'] as const).find((f) => set.damaged.includes(f));
  if (flagged !== undefined) return damagedAnswer({ environment: 'environment', spacesRegion: 'Spaces region', spacesBucket: 'bucket' }[flagged]);
  // An unknown region gives an endpoint the snippet refuses, like any other unsafe value.
  const endpoint = isSpacesRegion(m.spacesRegion) ? spacesEndpoint(m.spacesRegion) : `https://${m.spacesRegion}.digitaloceanspaces.com`;
  const params: SnippetParams = { environment: m.environment, secretName: set.name, awsRegion, spacesEndpoint: endpoint, bucket: m.spacesBucket };
  let snippets: { provider: string; backend: string; shell: string };
  try {
    snippets = { provider: providerSnippet(params), backend: backendSnippet(params), shell: backendEnvSnippet(params) };
  } catch (err) {
    if (!(err instanceof SnippetParamError)) throw err;
    if (err.field === 'awsRegion') return ephemeral("do-creds' own AWS region setting is not a valid region name, so no Terraform is shown. Ask whoever runs do-creds to check it.");
    return damagedAnswer({ environment: 'environment', secretName: 'secret name', awsRegion: 'AWS region', spacesEndpoint: 'Spaces region', bucket: 'bucket' }[err.field]);
  }
  const code = (text: string) => '```' + escapeMrkdwn(text) + '```';
  const text = `Terraform for ${m.environment}`;
  return ephemeral(text, [
    header(`Terraform for ${m.environment}`),
    section('The provider reads the secret do-creds stores, so no credential is ever written into Terraform files, plans or state:'),
    section(code(snippets.provider)),
    section('For Terraform state kept in a Space, the `backend "s3"` block:'),
    section(code(snippets.backend)),
    section(
      'The backend reads the Spaces key from its own credentials file, not from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, ' +
        'which stay your AWS identity for the `aws` provider. Write the file (readable by you only) from the secret before `terraform init`, ' +
        'and again after each rotation:\n' +
        code(snippets.shell),
    ),
    context('The same example is in the do-creds repository under `examples/terraform/`.'),
    // Locally the set is in the embedded store, which Terraform cannot read: say so rather than let the snippet fail.
    ...(storeKind === 'file'
      ? [context('This do-creds runs locally and keeps credentials in its embedded store, which Terraform cannot read: the snippet works against a deployed do-creds, whose sets are in AWS Secrets Manager.')]
      : []),
  ]);
}
