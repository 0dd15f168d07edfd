import type { KnownBlock } from '@slack/types';
import { hasPolicy, type ScopePolicy } from '../scope-policy.js';
import { context, divider, header, plain, section } from './blocks.js';
import { policySummary } from './scope-advice.js';

/**
 * The `/do-creds setup` guide. Text only lives here so it can be edited without touching logic.
 * Facts follow DigitalOcean's documentation as of 2026 (token page under API -> Tokens; Spaces
 * keys under Spaces Object Storage -> Access Keys, formerly API -> Spaces Keys).
 */

export const OPEN_MODAL_ACTION = 'open_credentials_modal';

export const GUIDE_FALLBACK_TEXT =
  'How to create a DigitalOcean API token and a Spaces access key, and submit them privately.';

const INTRO =
  'Terraform needs two credentials from DigitalOcean: an *API token* (Droplets, VPCs, databases, ' +
  'domains and the rest of the API) and a *Spaces access key* with its secret (buckets, and Terraform ' +
  'state kept in a Space). Create both in the control panel as below, then hand them over with the ' +
  'button at the end. Please never paste them into a channel, a DM, a ticket, a wiki or a repository.';

const tokenSteps = (command: string) =>
  [
    '*1. API token* (personal access token)',
    '• In the <https://cloud.digitalocean.com/account/api/tokens|control panel> open *API* in the left menu, stay on the *Tokens* tab and click *Generate New Token*.',
    '• *Token name*: one you will recognise later, e.g. `terraform-prod`.',
    '• *Expiration*: 30, 60 or 90 days, 1 year, no expiry, or a custom date (the form\'s *On a date*). When it runs out the token stops working *and disappears* from the account; do-creds warns the channel before that happens.',
    `• *Scopes*: *Custom Scopes* gives only what you tick (least privilege; any call outside them is refused with 403 Forbidden) and the panel adds the scopes each one needs, such as \`regions:read\` with \`droplet:read\`. \`${command} scopes <environment>\` or \`${command} scopes digitalocean_droplet digitalocean_vpc …\` lists what to tick. *Read Only* can look at everything but change nothing. *Full Access* can do anything. Both follow your team role: if the role is narrowed later, the token loses those permissions too.`,
    '• Scopes cannot be edited afterwards: for other scopes, generate a new token. *Regenerate* in the token\'s menu keeps its scopes and gives it a new secret (the old one stops working).',
    '• The token is shown *once*, right after you click *Generate Token*. Copy it immediately. It looks like `dop_v1_` followed by 64 hexadecimal characters.',
  ].join('\n');

const SPACES_STEPS = [
  '*2. Spaces access key and secret*',
  '• In the control panel open *Spaces Object Storage*, then the *Access Keys* tab, and click *Create Access Key* (older panels: *API* -> *Spaces Keys* -> *Generate New Key*).',
  '• Choose the access scope: *Full Access* to every bucket, or *Limited Access* to the buckets you pick (read, read/write, or full access). Terraform that keeps its state in a Space needs write access to that bucket; Terraform that *creates* buckets needs a Full Access key. Then give the key a name.',
  '• The *access key* (it starts with `DO`) stays visible in the panel. The *secret key* is shown *once*: copy it immediately.',
  '• Note the region and the bucket: a Space at `https://my-bucket.nyc3.digitaloceanspaces.com` is the bucket `my-bucket` in region `nyc3`, whose endpoint is `https://nyc3.digitaloceanspaces.com`. Bucket names are 3 to 63 lowercase letters, digits, dashes and dots (avoid dots: they break TLS with virtual-host addresses).',
].join('\n');

const whereItGoes = (storeName: string) =>
  [
    '*3. Where they go*',
    '• The form checks the token with the DigitalOcean API and the key pair with Spaces before anything is kept.',
    `• Valid credentials are stored in ${storeName}, one secret per environment, under the names Terraform configurations use: \`do_token\`, \`do_access_key\` and \`do_secret_key\`.`,
    '• If a credential was ever pasted somewhere public, delete it in the control panel and create a new one: deleting is the only way to revoke it.',
  ].join('\n');

/**
 * `storeName` says where this installation keeps credentials (AWS Secrets Manager, or the local
 * file store); where a scope policy exists, the guide shows what it requires.
 */
export function guideBlocks(storeName: string, policy: ScopePolicy, command = '/do-creds'): KnownBlock[] {
  return [
    header('DigitalOcean credentials for Terraform'),
    section(INTRO),
    divider(),
    section(tokenSteps(command)),
    ...(hasPolicy(policy) ? [section(policySummary(policy))] : []),
    section(SPACES_STEPS),
    section(whereItGoes(storeName)),
    divider(),
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: OPEN_MODAL_ACTION,
          text: plain('Submit credentials'),
          style: 'primary',
        },
      ],
    },
    context('The form opens privately: only you see it, and nothing you type is posted to the channel.'),
  ];
}
