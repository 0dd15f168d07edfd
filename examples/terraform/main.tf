# Generated from src/lib/terraform-snippet.ts by `npm run examples`; the same text /do-creds terraform shows.

terraform {
  # ephemeral blocks need Terraform 1.10; the backend "s3" arguments for Spaces need 1.6.3.
  required_version = ">= 1.10.0"

  required_providers {
    digitalocean = {
      source  = "digitalocean/digitalocean"
      version = "~> 2.0"
    }
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.77.0" # the first release with ephemeral aws_secretsmanager_secret_version
    }
  }
}

# Reads the secret with YOUR AWS identity, found the usual way (AWS_PROFILE, SSO, or
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). It needs secretsmanager:GetSecretValue on the secret
# (and kms:Decrypt when a customer-managed key is used). Never put the Spaces key in AWS_*
# variables: the provider would sign Secrets Manager calls with it. The backend below reads the
# Spaces key from a file of its own instead.
provider "aws" {
  region = "us-east-1"
}

# ephemeral, not data: the token and the Spaces key are read again on each plan and apply and are
# never written to the plan or to the state (which is kept in the Space).
ephemeral "aws_secretsmanager_secret_version" "do_creds" {
  secret_id = "do-creds/prod"
}

locals {
  do_creds = jsondecode(ephemeral.aws_secretsmanager_secret_version.do_creds.secret_string)
}

provider "digitalocean" {
  token             = local.do_creds.do_token
  spaces_access_id  = local.do_creds.do_access_key
  spaces_secret_key = local.do_creds.do_secret_key
}

# Optional: Terraform state in a Space. A backend cannot read the secret, so the Spaces key comes
# from its own credentials file (written by the shell lines do-creds prints with this). Because
# `profile` is set, the backend (Terraform >= 1.7) uses that file even when AWS_ACCESS_KEY_ID or
# AWS_PROFILE are set, and those stay your AWS identity for the aws provider.
terraform {
  backend "s3" {
    bucket = "my-terraform-state"
    key    = "prod/terraform.tfstate"
    endpoints = {
      s3 = "https://nyc3.digitaloceanspaces.com"
    }
    shared_credentials_files = ["~/.do-creds/prod.spaces-credentials"]
    profile                  = "do-creds-spaces-prod"

    region                      = "us-east-1" # required by the backend, ignored by Spaces
    use_path_style              = true        # for bucket names with dots, and local endpoints
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
    skip_s3_checksum            = true
  }
}

# Before `terraform init` with the Space backend, write its credentials file (once, and again
# after each rotation of the Spaces key):
#   (umask 077 && mkdir -p ~/.do-creds &&
#     aws secretsmanager get-secret-value --region us-east-1 --secret-id 'do-creds/prod' \
#       --query SecretString --output text |
#     jq -ern 'input | "[do-creds-spaces-prod]\naws_access_key_id = \(.do_access_key // error("no do_access_key"))\naws_secret_access_key = \(.do_secret_key // error("no do_secret_key"))"' > ~/.do-creds/prod.spaces-credentials.tmp &&
#     mv ~/.do-creds/prod.spaces-credentials.tmp ~/.do-creds/prod.spaces-credentials) &&
#   terraform init
