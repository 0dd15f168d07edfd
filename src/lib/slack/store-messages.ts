import type { StoreFault } from '../credential-set.js';

/** What a person is told when AWS Secrets Manager (or the local store) fails. */
export function storeFaultText(fault: StoreFault, doing: 'save' | 'read' | 'delete'): string {
  const nothing = doing === 'save' ? ' Nothing was saved and the stored version is unchanged.' : doing === 'delete' ? ' Nothing was deleted.' : '';
  switch (fault.kind) {
    case 'access_denied':
      return `do-creds is not allowed to ${doing} credentials in AWS Secrets Manager (access denied).${nothing} Ask whoever runs do-creds to check its IAM role.`;
    case 'no_credentials':
      return `do-creds has no AWS credentials to reach AWS Secrets Manager with (no role, or a profile that does not exist).${nothing} Ask whoever runs do-creds to check its AWS credentials.`;
    case 'kms':
      return `The KMS key protecting the credentials cannot be used (disabled, deleted or not allowed).${nothing} Ask whoever runs do-creds to check KMS_KEY_ID.`;
    case 'throttled':
      return `AWS Secrets Manager is throttling requests right now.${nothing} Please try again in a minute.`;
    case 'unavailable':
      return fault.detail ? `${fault.detail}${nothing}` : `AWS Secrets Manager did not answer in time.${nothing} Please try again.`;
    case 'unknown_outcome':
      return (
        'AWS Secrets Manager did not confirm the save in time, and do-creds could not find out whether it landed. ' +
        'It may have been saved: check `/do-creds status` in a minute before submitting again (submitting the same values again is safe).'
      );
  }
}
