// The default push rule set of the era (Synapse 0.10 baserules), which clients fetch at start-up.
import type { JsonObject } from '../events/index.js';

const notify = (sound?: string, highlight?: boolean): unknown[] => [
  'notify',
  ...(sound ? [{ set_tweak: 'sound', value: sound }] : []),
  { set_tweak: 'highlight', value: highlight ?? false },
];

export function defaultPushRules(userId: string): { global: JsonObject; device: JsonObject } {
  const localpart = userId.slice(1, userId.indexOf(':'));
  const rule = (rule_id: string, conditions: unknown[], actions: unknown[], enabled = true) => ({
    rule_id, conditions, actions, default: true, enabled,
  });
  const match = (key: string, pattern: string) => ({ kind: 'event_match', key, pattern });
  return {
    global: {
      override: [
        rule('.m.rule.master', [], ['dont_notify'], false),
        rule('.m.rule.suppress_notices', [match('content.msgtype', 'm.notice')], ['dont_notify']),
        rule('.m.rule.contains_display_name', [{ kind: 'contains_display_name' }], notify('default', true)),
      ],
      content: [
        { rule_id: '.m.rule.contains_user_name', pattern: localpart, actions: notify('default', true), default: true, enabled: true },
      ],
      room: [],
      sender: [],
      underride: [
        rule('.m.rule.call', [match('type', 'm.call.invite')], notify('ring')),
        rule('.m.rule.room_one_to_one', [{ kind: 'room_member_count', is: '2' }], notify('default')),
        rule('.m.rule.invite_for_me', [match('type', 'm.room.member'), match('content.membership', 'invite'), match('state_key', userId)], notify('default')),
        rule('.m.rule.member_event', [match('type', 'm.room.member')], ['dont_notify']),
        rule('.m.rule.message', [match('type', 'm.room.message')], notify()),
      ],
    },
    device: {},
  };
}
