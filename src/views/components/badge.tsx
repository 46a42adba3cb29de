import type { Role } from '../../db/database.ts';

export const ROLE_LABEL: Record<Role, string> = { client: 'Client', agent: 'Agent', administrator: 'Administrator' };

/** A short coloured label; `kind` picks the colour (see public/css: .badge--<kind>, .status--<kind>, …). */
export function Badge({
  family = 'badge',
  kind,
  label,
}: {
  family?: 'badge' | 'status' | 'priority';
  kind: string;
  label: string;
}) {
  return <span class={`${family} ${family}--${kind}`}>{label}</span>;
}

export function RoleBadge({ role }: { role: Role }) {
  return <Badge kind={role} label={ROLE_LABEL[role]} />;
}
