import type { Priority, TicketStatus } from '../../db/database.ts';
import { Badge } from '../../views/components/badge.tsx';
import { PRIORITY_LABEL, STATUS_LABEL } from './ticket.presenter.ts';

export function StatusBadge({ status }: { status: TicketStatus }) {
  return <Badge family="status" kind={status} label={STATUS_LABEL[status]} />;
}

export function PriorityBadge({ priority }: { priority: Priority }) {
  return <Badge family="priority" kind={priority} label={PRIORITY_LABEL[priority]} />;
}
