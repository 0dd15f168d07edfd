import { isSpacesRegion } from './regions.js';

/**
 * The Terraform that reads a stored credential set: the single source for `/do-creds terraform`
 * and for examples/terraform/main.tf (regenerated with `npm run examples`).
 *
 * Two rules shape it (see the comments printed with it):
 * - AWS credentials and the Spaces key never share a channel. The `aws` provider reads the secret
 *   with the person's own AWS identity (the usual chain: AWS_PROFILE, SSO, AWS_ACCESS_KEY_ID...),
 *   while the `s3` backend takes the Spaces key from a credentials file of its own through an
 *   explicit `profile`, which the backend prefers to AWS_* variables (Terraform >= 1.7).
 * - The token and the Spaces key come from an `ephemeral` block, so they are never written to the
 *   plan or to state — which lives in the Space itself.
 *
 * Every value put into HCL or shell is checked here against a strict pattern, whatever the caller
 * has checked already: a value outside them throws `SnippetParamError`.
 */

export interface SnippetParams {
  environment: string;
  secretName: string;
  awsRegion: string;
  /** The Space's endpoint, e.g. https://nyc3.digitaloceanspaces.com */
  spacesEndpoint: string;
  bucket: string | undefined;
}

/** Terraform needed by what the snippets use: `ephemeral` blocks (1.10) and the backend's Spaces arguments (1.6.3). */
export const REQUIRED_TERRAFORM = '>= 1.10.0';
/** First hashicorp/aws release with `ephemeral "aws_secretsmanager_secret_version"` (v5.77.0 release notes, PR #40009). */
export const REQUIRED_AWS_PROVIDER = '>= 5.77.0';

export class SnippetParamError extends Error {
  constructor(readonly field: keyof SnippetParams) {
    super(`refusing to put an unexpected ${field} into Terraform`);
    this.name = 'SnippetParamError';
  }
}

const ENVIRONMENT = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const AWS_REGION = /^[a-z]{2,4}(?:-[a-z]+)+-\d{1,2}$/;
const SPACES_HOST = /^https:\/\/([a-z0-9-]+)\.digitaloceanspaces\.com$/;
/** Any other endpoint (a local stand-in, a proxy): scheme, host, optional port and path, nothing that HCL or a shell could read as syntax. */
const OTHER_ENDPOINT = /^https?:\/\/[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::\d{1,5})?(?:\/[A-Za-z0-9._~/-]*)?$/;

function endpointIsSafe(endpoint: string): boolean {
  const spaces = SPACES_HOST.exec(endpoint);
  if (spaces) return isSpacesRegion(spaces[1]!);
  if (/digitaloceanspaces\.com/i.test(endpoint)) return false; // only the exact public form above
  return OTHER_ENDPOINT.test(endpoint);
}

/** Throws `SnippetParamError` naming the first value that is not safe to print. */
export function checkSnippetParams(p: SnippetParams): void {
  if (typeof p.environment !== 'string' || !ENVIRONMENT.test(p.environment)) throw new SnippetParamError('environment');
  if (typeof p.secretName !== 'string' || !SECRET_NAME.test(p.secretName)) throw new SnippetParamError('secretName');
  if (typeof p.awsRegion !== 'string' || !AWS_REGION.test(p.awsRegion)) throw new SnippetParamError('awsRegion');
  if (typeof p.spacesEndpoint !== 'string' || !endpointIsSafe(p.spacesEndpoint)) throw new SnippetParamError('spacesEndpoint');
  if (p.bucket !== undefined && (typeof p.bucket !== 'string' || !BUCKET.test(p.bucket) || p.bucket.includes('..'))) {
    throw new SnippetParamError('bucket');
  }
}

/** The profile the backend reads the Spaces key from; deliberately not a name anyone uses for AWS. */
export function spacesProfile(environment: string): string {
  return `do-creds-spaces-${environment}`;
}

/** The backend's own credentials file, written by `backendEnvSnippet` with mode 0600. */
export function spacesCredentialsFile(environment: string): string {
  return `~/.do-creds/${environment}.spaces-credentials`;
}

export function providerSnippet(p: SnippetParams): string {
  checkSnippetParams(p);
  return `terraform {
  # ephemeral blocks need Terraform 1.10; the backend "s3" arguments for Spaces need 1.6.3.
  required_version = "${REQUIRED_TERRAFORM}"

  required_providers {
    digitalocean = {
      source  = "digitalocean/digitalocean"
      version = "~> 2.0"
    }
    aws = {
      source  = "hashicorp/aws"
      version = "${REQUIRED_AWS_PROVIDER}" # the first release with ephemeral aws_secretsmanager_secret_version
    }
  }
}

# Reads the secret with YOUR AWS identity, found the usual way (AWS_PROFILE, SSO, or
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). It needs secretsmanager:GetSecretValue on the secret
# (and kms:Decrypt when a customer-managed key is used). Never put the Spaces key in AWS_*
# variables: the provider would sign Secrets Manager calls with it. The backend below reads the
# Spaces key from a file of its own instead.
provider "aws" {
  region = "${p.awsRegion}"
}

# ephemeral, not data: the token and the Spaces key are read again on each plan and apply and are
# never written to the plan or to the state (which is kept in the Space).
ephemeral "aws_secretsmanager_secret_version" "do_creds" {
  secret_id = "${p.secretName}"
}

locals {
  do_creds = jsondecode(ephemeral.aws_secretsmanager_secret_version.do_creds.secret_string)
}

provider "digitalocean" {
  token             = local.do_creds.do_token
  spaces_access_id  = local.do_creds.do_access_key
  spaces_secret_key = local.do_creds.do_secret_key
}
`;
}

export function backendSnippet(p: SnippetParams): string {
  checkSnippetParams(p);
  return `# Optional: Terraform state in a Space. A backend cannot read the secret, so the Spaces key comes
# from its own credentials file (written by the shell lines do-creds prints with this). Because
# \`profile\` is set, the backend (Terraform >= 1.7) uses that file even when AWS_ACCESS_KEY_ID or
# AWS_PROFILE are set, and those stay your AWS identity for the aws provider.
terraform {
  backend "s3" {
    bucket = "${p.bucket ?? 'YOUR-STATE-BUCKET'}"
    key    = "${p.environment}/terraform.tfstate"
    endpoints = {
      s3 = "${p.spacesEndpoint}"
    }
    shared_credentials_files = ["${spacesCredentialsFile(p.environment)}"]
    profile                  = "${spacesProfile(p.environment)}"

    region                      = "us-east-1" # required by the backend, ignored by Spaces
    use_path_style              = true        # for bucket names with dots, and local endpoints
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
    skip_s3_checksum            = true
  }
}
`;
}

/**
 * Shell lines that write the backend's credentials file from the secret, with the person's AWS
 * identity: in a subshell with umask 077 (the file is 0600, the folder 0700), never through
 * environment variables or argv. `jq -n 'input'` fails on empty input (a failed `aws` call) and
 * `// error` on a secret without the key, and the file is replaced only after that succeeded.
 */
export function backendEnvSnippet(p: SnippetParams): string {
  checkSnippetParams(p);
  const file = spacesCredentialsFile(p.environment);
  const jq =
    `"[${spacesProfile(p.environment)}]\\n` +
    'aws_access_key_id = \\(.do_access_key // error("no do_access_key"))\\n' +
    'aws_secret_access_key = \\(.do_secret_key // error("no do_secret_key"))"';
  return [
    `(umask 077 && mkdir -p ~/.do-creds &&`,
    `  aws secretsmanager get-secret-value --region ${p.awsRegion} --secret-id '${p.secretName}' \\`,
    `    --query SecretString --output text |`,
    `  jq -ern 'input | ${jq}' > ${file}.tmp &&`,
    `  mv ${file}.tmp ${file}) &&`,
    'terraform init',
  ].join('\n');
}

export const EXAMPLE_PARAMS: SnippetParams = {
  environment: 'prod',
  secretName: 'do-creds/prod',
  awsRegion: 'us-east-1',
  spacesEndpoint: 'https://nyc3.digitaloceanspaces.com',
  bucket: 'my-terraform-state',
};

/** examples/terraform/main.tf, exactly. */
export function exampleMainTf(): string {
  return [
    '# Generated from src/lib/terraform-snippet.ts by `npm run examples`; the same text /do-creds terraform shows.',
    '',
    providerSnippet(EXAMPLE_PARAMS),
    backendSnippet(EXAMPLE_PARAMS),
    '# Before `terraform init` with the Space backend, write its credentials file (once, and again',
    '# after each rotation of the Spaces key):',
    ...backendEnvSnippet(EXAMPLE_PARAMS).split('\n').map((l) => `#   ${l}`),
    '',
  ].join('\n');
}
