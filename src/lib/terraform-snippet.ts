/**
 * The Terraform that reads a stored credential set: the single source for `/do-creds terraform`
 * and for examples/terraform/main.tf (regenerated with `npm run examples`).
 */

export interface SnippetParams {
  environment: string;
  secretName: string;
  awsRegion: string;
  /** The Space's endpoint, e.g. https://nyc3.digitaloceanspaces.com */
  spacesEndpoint: string;
  bucket: string | undefined;
}

export function providerSnippet(p: SnippetParams): string {
  return `terraform {
  required_providers {
    digitalocean = {
      source  = "digitalocean/digitalocean"
      version = "~> 2.0"
    }
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

# Reads the secret do-creds keeps for this environment. The AWS identity running Terraform needs
# secretsmanager:GetSecretValue on it (and kms:Decrypt when a customer-managed key is used).
provider "aws" {
  region  = "${p.awsRegion}"
  profile = var.aws_profile # keeps the S3 backend's AWS_* variables (the Spaces key) away from AWS
}

variable "aws_profile" {
  type    = string
  default = null
}

data "aws_secretsmanager_secret_version" "do_creds" {
  secret_id = "${p.secretName}"
}

locals {
  do_creds = jsondecode(data.aws_secretsmanager_secret_version.do_creds.secret_string)
}

provider "digitalocean" {
  token             = local.do_creds.do_token
  spaces_access_id  = local.do_creds.do_access_key
  spaces_secret_key = local.do_creds.do_secret_key
}
`;
}

export function backendSnippet(p: SnippetParams): string {
  return `# Optional: Terraform state in a Space. A backend cannot read data sources, so the Spaces key
# comes from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, not from the digitalocean provider.
terraform {
  backend "s3" {
    bucket = "${p.bucket ?? 'YOUR-STATE-BUCKET'}"
    key    = "${p.environment}/terraform.tfstate"
    endpoints = {
      s3 = "${p.spacesEndpoint}"
    }
    region                      = "us-east-1" # required by the backend, ignored by Spaces
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
    skip_s3_checksum            = true
  }
}
`;
}

export function backendEnvSnippet(p: SnippetParams): string {
  return `secret=$(aws secretsmanager get-secret-value --secret-id ${p.secretName} --query SecretString --output text)
export AWS_ACCESS_KEY_ID=$(printf '%s' "$secret" | jq -r .do_access_key)
export AWS_SECRET_ACCESS_KEY=$(printf '%s' "$secret" | jq -r .do_secret_key)
terraform init`;
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
    '# Before `terraform init` with the Space backend:',
    ...backendEnvSnippet(EXAMPLE_PARAMS).split('\n').map((l) => `#   ${l}`),
    '',
  ].join('\n');
}
