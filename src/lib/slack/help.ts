import type { Subcommand } from '../command.js';
import { context, ephemeral, escapeMrkdwn, section, type EphemeralMessage } from './blocks.js';

/** `/do-creds help`, also the answer to an unknown word. */

const DESCRIPTIONS: Record<Subcommand, string> = {
  help: 'this list',
  setup: 'how to create a DigitalOcean API token and Spaces key, and a private form to submit them',
  status: 'every stored credential set, its expiry and its last check',
  rotate: 'replace the credentials of an environment (`rotate <environment>`)',
  delete: 'delete the credentials of an environment (`delete <environment>`)',
  terraform: 'the Terraform that reads an environment\'s credentials (`terraform <environment>`)',
  scopes: 'the custom scopes to tick for an environment or for Terraform resource types (`scopes prod`, `scopes digitalocean_droplet …`)',
};

export function helpMessage(command: string, unknownWord?: string): EphemeralMessage {
  const lines = (Object.keys(DESCRIPTIONS) as Subcommand[]).map((name) => `• \`${command} ${name}\`: ${DESCRIPTIONS[name]}`);
  const blocks = [];
  if (unknownWord !== undefined) {
    blocks.push(section(`I don't know \`${escapeMrkdwn(unknownWord.slice(0, 40))}\`. Here is what I can do:`));
  }
  blocks.push(section(`*${command}* hands DigitalOcean credentials over to Terraform safely.\n${lines.join('\n')}`));
  blocks.push(context(`Start with \`${command} setup\`.`));
  return ephemeral(`${command}: commands`, blocks);
}
