// IAM statements for do-creds' functions, built from the deploying environment so that the KMS
// statement appears only when a customer-managed key is configured. Read by serverless.yml.
'use strict';

const prefix = process.env.SECRET_NAME_PREFIX || 'do-creds/';
const secrets = `arn:aws:secretsmanager:*:*:secret:${prefix}*`;
const kmsKeyArn = process.env.KMS_KEY_ARN;

function kms(actions) {
  return kmsKeyArn ? [{ Effect: 'Allow', Action: actions, Resource: kmsKeyArn }] : [];
}

module.exports = {
  // The Slack function writes and describes; it never reads a secret value back.
  slack: () => [
    {
      Effect: 'Allow',
      Action: [
        'secretsmanager:CreateSecret',
        'secretsmanager:PutSecretValue',
        'secretsmanager:DescribeSecret',
        'secretsmanager:TagResource',
        'secretsmanager:UntagResource',
        'secretsmanager:DeleteSecret',
        'secretsmanager:RestoreSecret',
      ],
      Resource: secrets,
    },
    // ListSecrets has no resource-level permissions in AWS; results are filtered by name prefix.
    { Effect: 'Allow', Action: ['secretsmanager:ListSecrets'], Resource: '*' },
    ...kms(['kms:GenerateDataKey', 'kms:Decrypt']),
  ],
};
