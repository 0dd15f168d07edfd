/** Block Kit as readable terminal text: what a person would see in Slack. */

interface TextObject {
  type?: string;
  text?: string;
}

interface Element {
  type?: string;
  text?: TextObject | string;
  action_id?: string;
  value?: string;
  url?: string;
  placeholder?: TextObject;
  initial_value?: string;
  initial_date?: string;
  confirm?: { title?: TextObject; text?: TextObject; confirm?: TextObject };
  initial_option?: { text?: TextObject; value?: string };
  options?: { text?: TextObject; value?: string }[];
  elements?: Element[];
}

interface Block {
  type?: string;
  block_id?: string;
  text?: TextObject;
  fields?: TextObject[];
  elements?: Element[];
  element?: Element;
  label?: TextObject;
  hint?: TextObject;
  optional?: boolean;
}

export function renderMrkdwn(text: string): string {
  return text
    .replace(/<@([A-Z0-9]+)>/g, '@$1')
    .replace(/<#([A-Z0-9]+)(\|[^>]*)?>/g, '#$1')
    .replace(/<!subteam\^([A-Z0-9]+)>/g, '@group:$1')
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<(https?:[^>]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function textOf(t: TextObject | string | undefined): string {
  if (t === undefined) return '';
  return renderMrkdwn(typeof t === 'string' ? t : (t.text ?? ''));
}

export function renderBlocks(blocks: Block[]): string {
  return blocks.map(renderBlock).filter((s) => s !== '').join('\n\n');
}

function renderBlock(block: Block): string {
  switch (block.type) {
    case 'header':
      return `== ${textOf(block.text)} ==`;
    case 'section':
      return [textOf(block.text), ...(block.fields ?? []).map(textOf)].filter(Boolean).join('\n');
    case 'context':
      return (block.elements ?? []).map((e) => `  (${textOf(e.text ?? (e as TextObject))})`).join('\n');
    case 'divider':
      return '----------------------------------------';
    case 'actions':
      return (block.elements ?? []).map(renderButton).join('  ');
    case 'input':
      return renderInput(block);
    default:
      return '';
  }
}

function renderButton(e: Element): string {
  const label = textOf(e.text);
  if (e.url) return `[${label}] -> ${e.url}`;
  const value = e.value ? ` ${e.value}` : '';
  // Slack asks before sending such a click; the driver's click is the answer "yes".
  const confirm = e.confirm ? `  (Slack first asks: "${textOf(e.confirm.text)}")` : '';
  return `[${label}]  (npm run slack -- click ${e.action_id ?? ''}${value})${confirm}`;
}

function renderInput(block: Block): string {
  const el = block.element ?? {};
  const optional = block.optional ? ' (optional)' : '';
  let shape = '______';
  if (el.type === 'static_select') {
    const chosen = el.initial_option?.value ? ` [${el.initial_option.value}]` : '';
    shape = `one of: ${(el.options ?? []).map((o) => o.value).join(', ')}${chosen}`;
  } else if (el.type === 'datepicker') {
    shape = el.initial_date ? `YYYY-MM-DD [${el.initial_date}]` : 'YYYY-MM-DD';
  } else if (el.initial_value) {
    shape = `[${el.initial_value}]`;
  }
  const hint = block.hint ? `\n      ${textOf(block.hint)}` : '';
  return `  ${textOf(block.label)}${optional} <${block.block_id ?? ''}>: ${shape}${hint}`;
}

/**
 * A modal as text: its title, its fields by block id (the names `npm run slack -- submit` takes),
 * [prefilled values] in brackets (kept unless given), and how to submit it.
 */
export function renderView(view: { title?: TextObject; blocks?: Block[]; submit?: TextObject }): string {
  const how = 'npm run slack -- submit field=value ...: [values] shown are kept unless given; secrets are asked for, not shown';
  const submit = view.submit ? `\n\n[${textOf(view.submit)}]  (${how})` : '';
  return `+++ ${textOf(view.title)} +++\n\n${renderBlocks(view.blocks ?? [])}${submit}`;
}
