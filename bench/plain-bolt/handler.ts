import { SecretsManagerClient, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { App, AwsLambdaReceiver } from '@slack/bolt';
import type { AwsEvent } from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';
import type { Context } from 'aws-lambda';

/**
 * The benchmark's reference (bench/cold-import.ts): a plain Bolt handler for Lambda as Bolt's docs show
 * it, with one slash command that reads a secret through the AWS SDK, everything imported statically.
 * Never deployed; bundled like our functions and timed beside them.
 */
const receiver = new AwsLambdaReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET ?? '' });

const app = new App({ token: process.env.SLACK_BOT_TOKEN, receiver });

const secrets = new SecretsManagerClient({});

app.command('/secret', async ({ ack, command, respond }) => {
  await ack();
  const secret = await secrets.send(new GetSecretValueCommand({ SecretId: command.text }));
  await respond(`${command.text} was last changed ${secret.CreatedDate?.toISOString() ?? 'at an unknown time'}`);
});

// Bolt 5's AwsHandler takes (event, context): the docs' `(event, context, callback)` minus the callback.
export const handler = async (event: AwsEvent, context: Context) => {
  const handle = await receiver.start();
  return handle(event, context);
};
