// The default push rule set of the era (Synapse 0.10's baserules), which clients fetch at start-up.
import type { JsonObject } from '../events/index.js';

export const PUSH_RULE_KINDS = ['override', 'content', 'room', 'sender', 'underride'] as const;
export type PushRuleKind = (typeof PUSH_RULE_KINDS)[number];
/** Default rules evaluated before the user's own rules of the same kind (all others come after). */
export const PREPENDED_DEFAULT_RULES = new Set(['.m.rule.master']);

const highlight = (value?: boolean) => (value === undefined ? { set_tweak: 'highlight' } : { set_tweak: 'highlight', value });
const sound = (value: string) => ({ set_tweak: 'sound', value });
const match = (key: string, pattern: string) => ({ kind: 'event_match', key, pattern });

function rule(rule_id: string, conditions: unknown[], actions: unknown[], enabled = true): JsonObject {
  return { rule_id, conditions, actions, default: true, enabled } as JsonObject;
}

/** `{global: {override, content, room, sender, underride}, device: {}}` for one user. */
export function defaultPushRules(userId: string): { global: Record<PushRuleKind, JsonObject[]>; device: JsonObject } {
  const localpart = userId.slice(1, userId.indexOf(':'));
  return {
    global: {
      override: [
        rule('.m.rule.master', [], ['dont_notify'], false),
        rule('.m.rule.suppress_notices', [match('content.msgtype', 'm.notice')], ['dont_notify']),
      ],
      content: [
        {
          rule_id: '.m.rule.contains_user_name', pattern: localpart,
          actions: ['notify', sound('default'), highlight()], default: true, enabled: true,
        } as JsonObject,
      ],
      room: [],
      sender: [],
      underride: [
        rule('.m.rule.call', [match('type', 'm.call.invite')], ['notify', sound('ring'), highlight(false)]),
        rule('.m.rule.contains_display_name', [{ kind: 'contains_display_name' }], ['notify', sound('default'), highlight()]),
        rule('.m.rule.room_one_to_one', [{ kind: 'room_member_count', is: '2' }], ['notify', sound('default'), highlight(false)]),
        rule(
          '.m.rule.invite_for_me',
          [match('type', 'm.room.member'), match('content.membership', 'invite'), match('state_key', userId)],
          ['notify', sound('default'), highlight(false)],
        ),
        rule('.m.rule.member_event', [match('type', 'm.room.member')], ['notify', highlight(false)]),
        rule('.m.rule.message', [match('type', 'm.room.message')], ['notify', highlight(false)]),
      ],
    },
    device: {},
  };
}
