/**
 * Slack's Block Kit limits, encoded once, and a validator that says what in a message or view breaks
 * them. The product caps its own output with these constants; the test stand-in for Slack refuses
 * what breaks them, as Slack does.
 *
 * Sources (checked 2026-11):
 * - [BK] Block Kit reference, https://docs.slack.dev/reference/block-kit/ (blocks, block elements,
 *   composition objects, views).
 * - [PY] python-slack-sdk `slack_sdk/models` (blocks/blocks.py, blocks/block_elements.py,
 *   blocks/basic_components.py, views/__init__.py, messages/message.py), commit ae87985e, which
 *   encodes the same numbers as validators.
 * - [TY] `@slack/types` block-kit/composition-objects.d.ts (the confirmation dialog's fields).
 * - [API] the method references, https://docs.slack.dev/reference/methods/views.open (`view_too_large`:
 *   "the provided view is greater than 250kb") and chat.postMessage.
 */

export const LIMITS = {
  /** Blocks in one message. [BK] blocks: "You can include up to 50 blocks in each message, and 100 blocks in modals or Home tabs." */
  messageBlocks: 50,
  /** Blocks in a modal or Home tab. [BK] blocks (above); [PY] View.blocks_max_length = 100. */
  viewBlocks: 100,
  /** A section's text. [BK] section block; [PY] SectionBlock.text_max_length = 3000. */
  sectionText: 3_000,
  /** A section's fields. [PY] SectionBlock: "Maximum number of items is 10"; fields_max_length = 10. */
  sectionFields: 10,
  /** Each section field's text. [PY] SectionBlock: "Maximum length for the text in each item is 2000 characters." */
  sectionFieldText: 2_000,
  /** A header's plain text. [BK] header block; [PY] HeaderBlock.text_max_length = 150. */
  headerText: 150,
  /** A context block's elements. [BK] context block; [PY] ContextBlock.elements_max_length = 10. */
  contextElements: 10,
  /** An actions block's elements. [BK] actions block; [PY] ActionsBlock.elements_max_length = 25. */
  actionsElements: 25,
  /** A markdown block's text (messages only). [BK] markdown block; [PY] MarkdownBlock.text_max_length = 12000. */
  markdownText: 12_000,
  /** A button's text. [BK] button element; [PY] ButtonElement.text_max_length = 75. */
  buttonText: 75,
  /** A button's value. [PY] ButtonElement.value_max_length = 2000. */
  buttonValue: 2_000,
  /** A button's url. [PY] ButtonElement.url_max_length = 3000. */
  buttonUrl: 3_000,
  /** Any action_id. [PY] InteractiveElement.action_id_max_length = 255. */
  actionId: 255,
  /** Any block_id. [PY] Block.block_id_max_length = 255 ("Maximum length for this field is 255 characters"). */
  blockId: 255,
  /** An option's text. [BK] option object; [PY] Option.label_max_length = 75. */
  optionText: 75,
  /** An option's value. [PY] Option.value_max_length = 150. */
  optionValue: 150,
  /** An option's description. [BK] option object: 75 characters, as its text. */
  optionDescription: 75,
  /** Options (or option groups) of a static select. [PY] StaticSelectElement.options_max_length = 100. */
  selectOptions: 100,
  /** Options of an overflow menu: 1 to 5. [PY] OverflowMenuElement options_min_length 1, options_max_length 5. */
  overflowOptions: 5,
  /** An input block's label. [PY] InputBlock.label_max_length = 2000. */
  inputLabel: 2_000,
  /** An input block's hint. [PY] InputBlock.hint_max_length = 2000. */
  inputHint: 2_000,
  /** Any placeholder. [PY] InputInteractiveElement.placeholder_max_length = 150. */
  placeholder: 150,
  /** plain_text_input min_length / max_length. [PY] PlainTextInputElement: "Maximum value is 3000". */
  textInputLength: 3_000,
  /** An image's url and alt text. [PY] ImageBlock image_url_max_length 3000, alt_text_max_length 2000. */
  imageUrl: 3_000,
  imageAltText: 2_000,
  /** A modal's title, submit and close. [PY] View title/submit/close_max_length = 24. */
  viewTitle: 24,
  viewSubmit: 24,
  viewClose: 24,
  /** A view's private_metadata. [PY] View.private_metadata_max_length = 3000. */
  privateMetadata: 3_000,
  /** A view's callback_id. [PY] View.callback_id_max_length = 255. */
  callbackId: 255,
  /** A view's JSON size. [API] views.open / views.publish `view_too_large`: "greater than 250kb". */
  viewBytes: 250 * 1024,
  /** Confirmation dialog. [BK]/[TY] title 100, text 300, confirm 30, deny 30; [PY] ConfirmObject. */
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** Any text object. [BK] text object: "The minimum length is 1 and maximum length is 3000 characters." */
  textObject: 3_000,
  /**
   * A message's top-level text. [PY] messages/message.py: "Messages over 40,000 characters are
   * automatically truncated by Slack" (changelog 2018-04, truncating really long messages).
   */
  messageText: 40_000,
} as const;

export type Surface = 'message' | 'modal' | 'home';

/** What the validator was given for a message: its blocks, or the whole body (text and blocks). */
export type MessageInput = readonly unknown[] | { text?: unknown; blocks?: unknown };

/** The prefix of the one problem Slack answers with `view_too_large` rather than a field error. */
export const VIEW_TOO_LARGE = 'view_too_large';

/**
 * What breaks a limit (or a rule) of Block Kit in a message (a `MessageInput`: its blocks, or a body
 * with `text` and `blocks`) or a view (`modal` / `home`); empty when Slack would take it. Each problem names where it
 * is, e.g. `blocks[2].elements[0].confirm.text: must be plain_text, not mrkdwn`.
 */
export function blockKitProblems(kind: Surface, input: unknown): string[] {
  const p = new Problems();
  if (kind === 'message') {
    const body = Array.isArray(input) ? { blocks: input } : isObject(input) ? input : undefined;
    if (body === undefined) {
      p.add('message', 'must be an object or an array of blocks');
      return p.list;
    }
    if (typeof body.text === 'string' && body.text.length > LIMITS.messageText) {
      p.add('text', `is ${body.text.length} characters, more than ${LIMITS.messageText} (Slack cuts longer message text)`);
    }
    if (body.blocks !== undefined) checkBlocks(p, 'blocks', body.blocks, 'message');
    return p.list;
  }
  checkView(p, kind, input);
  return p.list;
}

/** The view's size as Slack counts it for `view_too_large` (its JSON, in bytes). */
export function viewBytes(view: unknown): number {
  return Buffer.byteLength(JSON.stringify(view) ?? '', 'utf8');
}

class Problems {
  readonly list: string[] = [];
  add(path: string, what: string): void {
    this.list.push(`${path}: ${what}`);
  }
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkView(p: Problems, kind: 'modal' | 'home', view: unknown): void {
  if (!isObject(view)) {
    p.add('view', 'must be an object');
    return;
  }
  const size = viewBytes(view);
  if (size > LIMITS.viewBytes) p.list.push(`${VIEW_TOO_LARGE}: the view is ${size} bytes, more than ${LIMITS.viewBytes}`);
  if (view.type !== kind) p.add('view.type', `must be ${kind}, not ${String(view.type)}`);
  if (kind === 'modal') {
    // [BK] modal view: title is required; submit is required when the blocks hold an input block.
    if (view.title === undefined) p.add('view.title', 'is required for a modal');
    else checkText(p, 'view.title', view.title, { plainOnly: true, max: LIMITS.viewTitle });
    if (view.submit !== undefined) checkText(p, 'view.submit', view.submit, { plainOnly: true, max: LIMITS.viewSubmit });
    if (view.close !== undefined) checkText(p, 'view.close', view.close, { plainOnly: true, max: LIMITS.viewClose });
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isObject(b) && b.type === 'input');
    if (hasInput && view.submit === undefined) p.add('view.submit', 'is required when the view has an input block');
  } else if (view.submit !== undefined || view.close !== undefined) {
    // [PY] View: "home view cannot have submit and close".
    p.add('view', 'a Home tab cannot have submit or close');
  }
  maxLength(p, 'view.private_metadata', view.private_metadata, LIMITS.privateMetadata);
  maxLength(p, 'view.callback_id', view.callback_id, LIMITS.callbackId);
  checkBlocks(p, 'view.blocks', view.blocks, kind);
}

const MESSAGE_BLOCKS = new Set(['section', 'divider', 'header', 'context', 'actions', 'image', 'input', 'rich_text', 'markdown', 'video', 'file', 'table']);
const VIEW_BLOCKS = new Set(['section', 'divider', 'header', 'context', 'actions', 'image', 'input', 'rich_text', 'video']);

function checkBlocks(p: Problems, path: string, blocks: unknown, kind: Surface): void {
  if (!Array.isArray(blocks)) {
    p.add(path, 'must be an array of blocks');
    return;
  }
  const max = kind === 'message' ? LIMITS.messageBlocks : LIMITS.viewBlocks;
  if (blocks.length > max) p.add(path, `has ${blocks.length} blocks, more than ${max}`);
  // [PY] View: "views must contain between 1 and 100 blocks".
  if (kind !== 'message' && blocks.length === 0) p.add(path, 'a view needs at least one block');
  const allowed = kind === 'message' ? MESSAGE_BLOCKS : VIEW_BLOCKS;
  const blockIds = new Set<string>();
  blocks.forEach((block, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(block) || typeof block.type !== 'string') {
      p.add(at, 'must be a block with a type');
      return;
    }
    if (!allowed.has(block.type)) {
      p.add(at, `${block.type} blocks are not allowed in a ${kind}`);
      return;
    }
    if (block.block_id !== undefined) {
      maxLength(p, `${at}.block_id`, block.block_id, LIMITS.blockId);
      // [PY] Block: "block_id should be unique for each message and each iteration of a message."
      if (typeof block.block_id === 'string') {
        if (blockIds.has(block.block_id)) p.add(`${at}.block_id`, `${block.block_id} is used twice`);
        blockIds.add(block.block_id);
      }
    }
    checkBlock(p, at, block);
  });
}

function checkBlock(p: Problems, at: string, block: Obj): void {
  switch (block.type) {
    case 'section': {
      if (block.text === undefined && block.fields === undefined) p.add(at, 'a section needs text or fields');
      if (block.text !== undefined) checkText(p, `${at}.text`, block.text, { max: LIMITS.sectionText });
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields)) p.add(`${at}.fields`, 'must be an array');
        else {
          if (block.fields.length > LIMITS.sectionFields) p.add(`${at}.fields`, `has ${block.fields.length} items, more than ${LIMITS.sectionFields}`);
          block.fields.forEach((f, i) => checkText(p, `${at}.fields[${i}]`, f, { max: LIMITS.sectionFieldText }));
        }
      }
      if (block.accessory !== undefined) checkElements(p, at, [block.accessory], 'accessory');
      return;
    }
    case 'header':
      checkText(p, `${at}.text`, block.text, { plainOnly: true, max: LIMITS.headerText });
      return;
    case 'context': {
      const elements = block.elements;
      if (!Array.isArray(elements) || elements.length === 0) {
        p.add(`${at}.elements`, 'must be a non-empty array');
        return;
      }
      if (elements.length > LIMITS.contextElements) p.add(`${at}.elements`, `has ${elements.length} elements, more than ${LIMITS.contextElements}`);
      elements.forEach((e, i) => {
        const path = `${at}.elements[${i}]`;
        if (isObject(e) && e.type === 'image') checkImage(p, path, e);
        else checkText(p, path, e, {});
      });
      return;
    }
    case 'actions': {
      const elements = block.elements;
      if (!Array.isArray(elements) || elements.length === 0) {
        p.add(`${at}.elements`, 'must be a non-empty array');
        return;
      }
      if (elements.length > LIMITS.actionsElements) p.add(`${at}.elements`, `has ${elements.length} elements, more than ${LIMITS.actionsElements}`);
      checkElements(p, at, elements, 'elements');
      return;
    }
    case 'input':
      checkText(p, `${at}.label`, block.label, { plainOnly: true, max: LIMITS.inputLabel });
      if (block.hint !== undefined) checkText(p, `${at}.hint`, block.hint, { plainOnly: true, max: LIMITS.inputHint });
      if (block.element === undefined) p.add(`${at}.element`, 'is required');
      else checkElements(p, at, [block.element], 'element');
      return;
    case 'image':
      checkImage(p, at, block);
      if (block.title !== undefined) checkText(p, `${at}.title`, block.title, { plainOnly: true, max: LIMITS.imageAltText });
      return;
    case 'markdown':
      if (typeof block.text !== 'string' || block.text.length === 0) p.add(`${at}.text`, 'must be a non-empty string');
      else if (block.text.length > LIMITS.markdownText) p.add(`${at}.text`, `is ${block.text.length} characters, more than ${LIMITS.markdownText}`);
      return;
    default:
      return;
  }
}

function checkImage(p: Problems, at: string, image: Obj): void {
  if (image.image_url === undefined && image.slack_file === undefined) p.add(at, 'an image needs image_url or slack_file');
  maxLength(p, `${at}.image_url`, image.image_url, LIMITS.imageUrl);
  if (typeof image.alt_text !== 'string' || image.alt_text.length === 0) p.add(`${at}.alt_text`, 'is required');
  else maxLength(p, `${at}.alt_text`, image.alt_text, LIMITS.imageAltText);
}

/** Interactive elements of one block; an action_id is not used twice in one block (stricter than Slack documents). */
function checkElements(p: Problems, at: string, elements: unknown[], field: 'elements' | 'accessory' | 'element'): void {
  const actionIds = new Set<string>();
  elements.forEach((e, i) => {
    const path = field === 'elements' ? `${at}.elements[${i}]` : `${at}.${field}`;
    if (!isObject(e) || typeof e.type !== 'string') {
      p.add(path, 'must be an element with a type');
      return;
    }
    if (e.action_id !== undefined) {
      maxLength(p, `${path}.action_id`, e.action_id, LIMITS.actionId);
      if (typeof e.action_id === 'string') {
        if (actionIds.has(e.action_id)) p.add(`${path}.action_id`, `${e.action_id} is used twice in this block`);
        actionIds.add(e.action_id);
      }
    }
    checkElement(p, path, e);
  });
}

function checkElement(p: Problems, at: string, e: Obj): void {
  if (e.placeholder !== undefined) checkText(p, `${at}.placeholder`, e.placeholder, { plainOnly: true, max: LIMITS.placeholder });
  if (e.confirm !== undefined) checkConfirm(p, `${at}.confirm`, e.confirm);
  switch (e.type) {
    case 'button':
      checkText(p, `${at}.text`, e.text, { plainOnly: true, max: LIMITS.buttonText });
      maxLength(p, `${at}.value`, e.value, LIMITS.buttonValue);
      maxLength(p, `${at}.url`, e.url, LIMITS.buttonUrl);
      maxLength(p, `${at}.accessibility_label`, e.accessibility_label, LIMITS.buttonText);
      checkStyle(p, `${at}.style`, e.style);
      return;
    case 'static_select':
    case 'multi_static_select': {
      if (e.options === undefined && e.option_groups === undefined) p.add(at, 'a static select needs options or option_groups');
      if (e.options !== undefined && e.option_groups !== undefined) p.add(at, 'options and option_groups cannot both be given');
      const options = checkOptions(p, `${at}.options`, e.options, LIMITS.selectOptions);
      if (Array.isArray(e.option_groups)) {
        if (e.option_groups.length > LIMITS.selectOptions) p.add(`${at}.option_groups`, `has ${e.option_groups.length} groups, more than ${LIMITS.selectOptions}`);
        e.option_groups.forEach((g, i) => {
          if (isObject(g)) options.push(...checkOptions(p, `${at}.option_groups[${i}].options`, g.options, LIMITS.selectOptions));
        });
      }
      // [BK] static select: the initial option must be one of the options given.
      const initial = e.type === 'static_select' ? [e.initial_option] : Array.isArray(e.initial_options) ? e.initial_options : [];
      for (const chosen of initial) {
        if (chosen !== undefined && !options.some((o) => JSON.stringify(o) === JSON.stringify(chosen))) {
          p.add(`${at}.initial_option`, 'does not exactly match one of the options');
        }
      }
      return;
    }
    case 'overflow': {
      const options = checkOptions(p, `${at}.options`, e.options, LIMITS.overflowOptions);
      if (options.length === 0) p.add(`${at}.options`, 'an overflow menu needs 1 to 5 options');
      return;
    }
    case 'radio_buttons':
    case 'checkboxes':
      // Option text may be mrkdwn here ([BK] option object).
      checkOptions(p, `${at}.options`, e.options, 10, false);
      return;
    case 'plain_text_input':
      for (const key of ['min_length', 'max_length'] as const) {
        const n = e[key];
        if (n !== undefined && (typeof n !== 'number' || n < 0 || n > LIMITS.textInputLength)) p.add(`${at}.${key}`, `must be a number from 0 to ${LIMITS.textInputLength}`);
      }
      return;
    case 'datepicker':
      // [BK] datepicker / [PY] DatePickerElement: "initial_date attribute must be in format 'YYYY-MM-DD'".
      if (e.initial_date !== undefined && !(typeof e.initial_date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(e.initial_date))) {
        p.add(`${at}.initial_date`, 'must be YYYY-MM-DD');
      }
      return;
    case 'image':
      checkImage(p, at, e);
      return;
    default:
      return;
  }
}

/** Checks each option; returns the well-formed ones (for initial_option). */
function checkOptions(p: Problems, at: string, options: unknown, max: number, plainOnly = true): Obj[] {
  if (options === undefined) return [];
  if (!Array.isArray(options)) {
    p.add(at, 'must be an array');
    return [];
  }
  if (options.length > max) p.add(at, `has ${options.length} options, more than ${max}`);
  const ok: Obj[] = [];
  options.forEach((o, i) => {
    const path = `${at}[${i}]`;
    if (!isObject(o)) {
      p.add(path, 'must be an option object');
      return;
    }
    checkText(p, `${path}.text`, o.text, { plainOnly, max: LIMITS.optionText });
    if (typeof o.value !== 'string') p.add(`${path}.value`, 'is required');
    else maxLength(p, `${path}.value`, o.value, LIMITS.optionValue);
    if (o.description !== undefined) checkText(p, `${path}.description`, o.description, { plainOnly, max: LIMITS.optionDescription });
    ok.push(o);
  });
  return ok;
}

function checkConfirm(p: Problems, at: string, confirm: unknown): void {
  if (!isObject(confirm)) {
    p.add(at, 'must be a confirmation dialog object');
    return;
  }
  if (confirm.title !== undefined) checkText(p, `${at}.title`, confirm.title, { plainOnly: true, max: LIMITS.confirmTitle });
  // [TY] "A PlainTextElement text object that defines the explanatory text"; the stricter reading is kept.
  checkText(p, `${at}.text`, confirm.text, { plainOnly: true, max: LIMITS.confirmText });
  if (confirm.confirm !== undefined) checkText(p, `${at}.confirm`, confirm.confirm, { plainOnly: true, max: LIMITS.confirmButton });
  if (confirm.deny !== undefined) checkText(p, `${at}.deny`, confirm.deny, { plainOnly: true, max: LIMITS.confirmButton });
  checkStyle(p, `${at}.style`, confirm.style);
}

function checkStyle(p: Problems, at: string, style: unknown): void {
  // [BK] button / confirmation dialog: style is "primary" or "danger".
  if (style !== undefined && style !== 'primary' && style !== 'danger') p.add(at, 'must be primary or danger');
}

/** A text object: `{type: plain_text | mrkdwn, text}` with 1 to `max` characters. */
function checkText(p: Problems, at: string, text: unknown, o: { plainOnly?: boolean; max?: number }): void {
  if (!isObject(text)) {
    p.add(at, 'must be a text object');
    return;
  }
  if (text.type !== 'plain_text' && text.type !== 'mrkdwn') {
    p.add(`${at}.type`, 'must be plain_text or mrkdwn');
    return;
  }
  if (o.plainOnly && text.type !== 'plain_text') p.add(`${at}.type`, 'must be plain_text, not mrkdwn');
  // [BK] text object: emoji "is only usable when type is plain_text".
  if (text.type === 'mrkdwn' && text.emoji !== undefined) p.add(`${at}.emoji`, 'is only for plain_text');
  if (typeof text.text !== 'string' || text.text.length === 0) {
    // [BK] text object: "The minimum length is 1".
    p.add(`${at}.text`, 'must be at least 1 character');
    return;
  }
  const max = o.max ?? LIMITS.textObject;
  if (text.text.length > max) p.add(`${at}.text`, `is ${text.text.length} characters, more than ${max}`);
}

function maxLength(p: Problems, at: string, value: unknown, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'string') {
    p.add(at, 'must be a string');
    return;
  }
  if (value.length > max) p.add(at, `is ${value.length} characters, more than ${max}`);
}

/** `text` cut to `max` characters, ending in "…" when cut: for capping what the product builds. */
export function fit(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
