// `GET /listClients`: every member and subsystem in the global configuration (X-Road metaservice),
// JSON by default, XML when asked.
import type { ConfView } from '../conf/conf-view.ts';

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function answerListClients(view: ConfView, accept: string | undefined): { contentType: string; body: Buffer } {
  const members = view.conf.members.flatMap((m) => [
    { id: { object_type: 'MEMBER', xroad_instance: view.instance, member_class: m.memberClass, member_code: m.memberCode }, name: m.name },
    ...m.subsystems.map((s) => ({
      id: { object_type: 'SUBSYSTEM', xroad_instance: view.instance, member_class: m.memberClass, member_code: m.memberCode, subsystem_code: s.subsystemCode },
      name: m.name,
    })),
  ]);
  if (accept && /xml/i.test(accept) && !/json/i.test(accept)) {
    const items = members
      .map(
        (m) =>
          `<member><id object_type="${m.id.object_type}"><xroad_instance>${escape(m.id.xroad_instance)}</xroad_instance><member_class>${escape(m.id.member_class)}</member_class><member_code>${escape(m.id.member_code)}</member_code>${'subsystem_code' in m.id ? `<subsystem_code>${escape(m.id.subsystem_code)}</subsystem_code>` : ''}</id><name>${escape(m.name)}</name></member>`,
      )
      .join('');
    return { contentType: 'text/xml; charset=utf-8', body: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><clientList>${items}</clientList>`) };
  }
  return { contentType: 'application/json; charset=utf-8', body: Buffer.from(JSON.stringify({ member: members })) };
}
