// IAM for do-creds' two functions, and the deploy-time checks of what it is built from, read by
// serverless.yml at package time. Least privilege, enforced by IAM rather than trusted to the code:
// - the Slack function writes credential secrets but never reads one back; it deletes only with a
//   recovery window of 7 days or more; it tags only with do-creds:* keys;
// - the scheduled scan only lists and queues; the worker reads credential secrets (to check tokens)
//   and writes only the tags the scan owns;
// - each function reads only its own bot secret(s) (serverless.yml, BotSlackSecret and BotSharedSecret):
//   the worker can never read the Slack signing secret, the scan reads none;
// - every ARN is built with Fn::Sub from the stack's own partition, region and account.
// Condition keys: AWS Service Authorization Reference, "Actions, resources, and condition keys for AWS
// Secrets Manager" (docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html).
'use strict';

/** serverless.yml names the bot's own secrets `do-creds-bot/<stage>/…`; credentials must never share them. */
const BOT_SECRETS_ROOT = 'do-creds-bot/';

/** The credentials' name prefix (SECRET_NAME_PREFIX), refused here, at package time, unless it is safe. */
function secretNamePrefix() {
  const prefix = process.env.SECRET_NAME_PREFIX || 'do-creds/';
  const problems = [];
  // The same characters as src/lib/config.ts; none of them means anything to Fn::Sub or IAM wildcards.
  if (!/^[A-Za-z0-9/_+=.@-]{1,64}$/.test(prefix)) problems.push('may use only letters, digits and /_+=.@- (at most 64)');
  // Without the slash, `do-creds` would also match `do-creds-bot/…` and every other `do-creds…` secret.
  if (!prefix.endsWith('/')) problems.push('must end with / (e.g. do-creds/)');
  if (prefix.startsWith(BOT_SECRETS_ROOT) || BOT_SECRETS_ROOT.startsWith(prefix)) {
    problems.push(`must not overlap ${BOT_SECRETS_ROOT}, where the bot keeps its own secrets`);
  }
  if (problems.length > 0) throw new Error(`SECRET_NAME_PREFIX "${prefix}" ${problems.join('; ')}`);
  return prefix;
}

/** KMS_KEY_ARN: a customer-managed key (by key ARN: IAM cannot match an alias), or none. */
function kmsKey() {
  const arn = (process.env.KMS_KEY_ARN || '').trim();
  if (arn === '') return undefined;
  const m = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/([A-Za-z0-9-]+)$/.exec(arn);
  if (!m) throw new Error('KMS_KEY_ARN must be a KMS key ARN, arn:<partition>:kms:<region>:<account>:key/<key-id> (not an alias)');
  // Secrets Manager only uses keys in the secret's own account and Region (Secrets Manager user guide,
  // "Secret encryption and decryption"), so the ARN is rebuilt from the stack's.
  return { arn, keyId: m[1] };
}

const sub = (text) => ({ 'Fn::Sub': text });
const SECRET_ARN = 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:';
/** Every credential secret: `{prefix}{environment}` plus the 6 characters AWS appends. */
const credentialSecrets = () => sub(`${SECRET_ARN}${secretNamePrefix()}*`);
const kmsKeyResource = (key) => sub(`arn:\${AWS::Partition}:kms:\${AWS::Region}:\${AWS::AccountId}:key/${key.keyId}`);
const VIA_SECRETS_MANAGER = sub('secretsmanager.${AWS::Region}.amazonaws.com');

/** The bot's own secrets (serverless.yml); CloudFormation's Ref of a secret is its ARN. */
const BOT_SLACK_SECRET = { Ref: 'BotSlackSecret' };
const BOT_SHARED_SECRET = { Ref: 'BotSharedSecret' };

/** The tag keys each function may set or remove; only do-creds' own. */
const ALL_DO_CREDS_TAGS = ['do-creds:*'];
const SCAN_TAGS = [
  'do-creds:alerted-threshold',
  'do-creds:validation',
  'do-creds:validated-at',
  // The scan may reconcile a set's metadata with its value.
  'do-creds:token-access',
  'do-creds:token-expiry',
  'do-creds:token-fingerprint',
  'do-creds:spaces-key-id',
  'do-creds:spaces-region',
  'do-creds:spaces-bucket',
  'do-creds:metadata-version',
];

/**
 * Tag (or untag) only these keys. `aws:TagKeys` is a multivalued key: ForAllValues checks every key in
 * the request, and an absent key would satisfy it vacuously, hence the Null check.
 */
function tagging(actions, keys) {
  const operator = keys.some((k) => k.includes('*')) ? 'ForAllValues:StringLike' : 'ForAllValues:StringEquals';
  return {
    Effect: 'Allow',
    Action: actions,
    Resource: credentialSecrets(),
    Condition: { [operator]: { 'aws:TagKeys': keys }, Null: { 'aws:TagKeys': 'false' } },
  };
}

// ListSecrets and BatchGetSecretValue support no resource-level permissions: the Service Authorization
// Reference lists no resource type for them, so their Resource must be "*". do-creds filters ListSecrets
// by name prefix, and BatchGetSecretValue still needs GetSecretValue on every secret it returns
// (BatchGetSecretValue API reference, "Required permissions"), which only the credential prefix and
// the scan's own bot secret are granted.
const listSecrets = { Effect: 'Allow', Action: ['secretsmanager:ListSecrets'], Resource: '*' };

/** kms:* on the configured key, only through Secrets Manager in this Region, only for these secrets. */
function kms(key, actions, secretArns) {
  const exact = secretArns.filter((a) => a.Ref);
  const patterns = secretArns.filter((a) => !a.Ref);
  const viaService = { 'kms:ViaService': VIA_SECRETS_MANAGER };
  const statement = (condition) => ({ Effect: 'Allow', Action: actions, Resource: kmsKeyResource(key), Condition: condition });
  return [
    ...(patterns.length
      ? [statement({ StringEquals: viaService, StringLike: { 'kms:EncryptionContext:SecretARN': patterns } })]
      : []),
    ...(exact.length ? [statement({ StringEquals: { ...viaService, 'kms:EncryptionContext:SecretARN': exact } })] : []),
  ];
}

function role(statements) {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      ManagedPolicyArns: [sub('arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole')],
      Policies: [{ PolicyName: 'do-creds-secrets', PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
    },
  };
}

function slackRole() {
  const key = kmsKey();
  return role([
    {
      // CreateSecret with Tags is also authorised as TagResource (CreateSecret API reference,
      // "Required permissions"), which the tagging statement below limits to do-creds:* keys; the
      // same limit is put on CreateSecret itself (it supports aws:TagKeys and aws:RequestTag).
      // No replication to other Regions; with a customer-managed key, only that key.
      Effect: 'Allow',
      Action: ['secretsmanager:CreateSecret'],
      Resource: credentialSecrets(),
      Condition: {
        'ForAllValues:StringLike': { 'aws:TagKeys': ALL_DO_CREDS_TAGS },
        Null: { 'secretsmanager:AddReplicaRegions': 'true' },
        ...(key ? { StringEquals: { 'secretsmanager:KmsKeyId': key.arn } } : {}),
      },
    },
    {
      Effect: 'Allow',
      Action: ['secretsmanager:PutSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:RestoreSecret'],
      Resource: credentialSecrets(),
    },
    tagging(['secretsmanager:TagResource', 'secretsmanager:UntagResource'], ALL_DO_CREDS_TAGS),
    {
      // Delete only with a recovery window of 7 days or more. IAM evaluates a condition on a key absent
      // from the request as false, so a plain Bool "false" would refuse do-creds' own calls, which send
      // RecoveryWindowInDays and omit ForceDeleteWithoutRecovery: BoolIfExists allows it absent or false.
      // NumericGreaterThanEquals also requires RecoveryWindowInDays to be present, and AWS refuses it
      // together with ForceDeleteWithoutRecovery.
      Effect: 'Allow',
      Action: ['secretsmanager:DeleteSecret'],
      Resource: credentialSecrets(),
      Condition: {
        NumericGreaterThanEquals: { 'secretsmanager:RecoveryWindowInDays': 7 },
        BoolIfExists: { 'secretsmanager:ForceDeleteWithoutRecovery': 'false' },
      },
    },
    {
      // And a forced delete is denied outright, whatever else this role is ever granted.
      Effect: 'Deny',
      Action: ['secretsmanager:DeleteSecret'],
      Resource: '*',
      Condition: { Bool: { 'secretsmanager:ForceDeleteWithoutRecovery': 'true' } },
    },
    listSecrets,
    // Work Slack does not wait for (confirmations, audit posts) goes to the jobs queue.
    { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['JobsQueue', 'Arn'] } },
    // Its own secrets: the signing secret and fingerprint key, and the bot token.
    { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [BOT_SLACK_SECRET, BOT_SHARED_SECRET] },
    ...(key
      ? [
          // CreateSecret and PutSecretValue with a customer-managed key need GenerateDataKey and Decrypt.
          ...kms(key, ['kms:GenerateDataKey', 'kms:Decrypt'], [credentialSecrets()]),
          ...kms(key, ['kms:Decrypt'], [BOT_SLACK_SECRET, BOT_SHARED_SECRET]),
        ]
      : []),
  ]);
}

/**
 * The scheduled scan only lists (tags, never values) and queues the work: it reads no secret at all,
 * not even the bot token.
 */
function scanRole() {
  return role([listSecrets, { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['JobsQueue', 'Arn'] } }]);
}

/**
 * The worker: takes jobs from the queue (confirmations, audit posts, the scan's pages and alerts),
 * remembers done ones in the jobs table, reads tokens to check them, records checks and alerts as the
 * scan's own tags, queues follow-up scan work, and posts with the bot token.
 */
function workerRole() {
  const key = kmsKey();
  return role([
    {
      // What Lambda's SQS event source needs on the queue (Lambda developer guide, "Using Lambda with Amazon SQS"),
      // and SendMessage for the rest of a listing or checks left over.
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility', 'sqs:SendMessage'],
      Resource: { 'Fn::GetAtt': ['JobsQueue', 'Arn'] },
    },
    { Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'], Resource: { 'Fn::GetAtt': ['JobsTable', 'Arn'] } },
    // The health check reads tokens; alerts and checks are recorded as tags.
    { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: credentialSecrets() },
    tagging(['secretsmanager:TagResource'], SCAN_TAGS),
    // Reconciling a set's metadata with a new token also removes the old token's keyed HMAC, which
    // the worker cannot compute (it does not hold the key): it may remove that tag, never set it.
    tagging(['secretsmanager:UntagResource'], [...SCAN_TAGS, 'do-creds:token-hmac']),
    listSecrets,
    { Effect: 'Allow', Action: ['secretsmanager:BatchGetSecretValue'], Resource: '*' },
    // Its own secret: the bot token, to post.
    { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [BOT_SHARED_SECRET] },
    // Never the Slack signing secret, whatever else this role is ever granted.
    { Effect: 'Deny', Action: ['secretsmanager:GetSecretValue'], Resource: [BOT_SLACK_SECRET] },
    ...(key ? [...kms(key, ['kms:Decrypt'], [credentialSecrets()]), ...kms(key, ['kms:Decrypt'], [BOT_SHARED_SECRET])] : []),
  ]);
}

module.exports = {
  BOT_SECRETS_ROOT,
  SCAN_TAGS,
  secretNamePrefix,
  SlackRole: slackRole,
  ScanRole: scanRole,
  WorkerRole: workerRole,
  /** The bot secrets' KmsKeyId: the customer-managed key if there is one, else AWS's (property left out). */
  botSecretsKmsKeyId: () => kmsKey()?.arn ?? { Ref: 'AWS::NoValue' },
};
