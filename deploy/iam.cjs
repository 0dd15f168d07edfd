// IAM for do-creds' two functions, built from the deploying environment so that the KMS statement
// appears only when a customer-managed key is configured. Read by serverless.yml.
'use strict';

const prefix = process.env.SECRET_NAME_PREFIX || 'do-creds/';
const secrets = `arn:aws:secretsmanager:*:*:secret:${prefix}*`;
const kmsKeyArn = process.env.KMS_KEY_ARN;

function kms(actions) {
  return kmsKeyArn ? [{ Effect: 'Allow', Action: actions, Resource: kmsKeyArn }] : [];
}

// ListSecrets and BatchGetSecretValue have no resource-level permissions in AWS; do-creds filters
// by name prefix, and BatchGetSecretValue still needs GetSecretValue on each secret it returns.
const listSecrets = { Effect: 'Allow', Action: ['secretsmanager:ListSecrets'], Resource: '*' };

function role(statements) {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      ManagedPolicyArns: [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }],
      Policies: [{ PolicyName: 'do-creds-secrets', PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
    },
  };
}

module.exports = {
  // The Slack function writes and describes; it never reads a secret value back.
  SlackRole: () =>
    role([
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
      listSecrets,
      ...kms(['kms:GenerateDataKey', 'kms:Decrypt']),
    ]),
  // The scan lists, reads tokens for the health check, and records alerts and checks as tags.
  ScanRole: () =>
    role([
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:TagResource', 'secretsmanager:UntagResource'],
        Resource: secrets,
      },
      listSecrets,
      { Effect: 'Allow', Action: ['secretsmanager:BatchGetSecretValue'], Resource: '*' },
      ...kms(['kms:Decrypt']),
    ]),
};
