import type * as DDB from '@aws-sdk/client-dynamodb';
import type { JobLedger } from './ledger.js';

/**
 * The deployed job ledger: one DynamoDB item per job id, written with a conditional put so that two
 * deliveries of one job cannot both claim it (DynamoDB API reference: PutItem, ConditionExpression,
 * ConditionalCheckFailedException). Items expire through the table's TTL attribute `expiresAt`.
 */

export interface DynamoLedgerOptions {
  table: string;
  region: string;
  endpoint: string | undefined;
  /** How long a job id is remembered: longer than SQS can redeliver it. */
  retainSeconds: number;
}

let sdk: Promise<typeof DDB> | undefined;
const loadSdk = () => (sdk ??= import('@aws-sdk/client-dynamodb'));

export function createDynamoLedger(options: DynamoLedgerOptions): JobLedger {
  let client: Promise<DDB.DynamoDBClient> | undefined;
  const connect = () =>
    (client ??= loadSdk().then((m) => new m.DynamoDBClient({ region: options.region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) })));
  return {
    async claim(id) {
      const m = await loadSdk();
      const ddb = await connect();
      const expiresAt = Math.floor(Date.now() / 1000) + options.retainSeconds;
      try {
        await ddb.send(
          new m.PutItemCommand({
            TableName: options.table,
            Item: { id: { S: id }, expiresAt: { N: String(expiresAt) } },
            ConditionExpression: 'attribute_not_exists(id)',
          }),
        );
        return true;
      } catch (error) {
        if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
        throw error;
      }
    },
    async release(id) {
      const m = await loadSdk();
      const ddb = await connect();
      await ddb.send(new m.DeleteItemCommand({ TableName: options.table, Key: { id: { S: id } } }));
    },
  };
}
