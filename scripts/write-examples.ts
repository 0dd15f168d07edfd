import { writeFileSync } from 'node:fs';
import { exampleMainTf } from '../src/lib/terraform-snippet.js';

writeFileSync(new URL('../examples/terraform/main.tf', import.meta.url), exampleMainTf());
process.stdout.write('wrote examples/terraform/main.tf\n');
