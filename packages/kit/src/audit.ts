/**
 * Audit events are NOT diagnostics: they are facts a service must keep (who did
 * what to which object, with what outcome) and each service stores them in its
 * own database, in the same transaction as the change where possible. The kit
 * only provides the shape; never send audit events to the diagnostic logger.
 */

export type AuditActor =
  | { kind: 'user'; id: string }
  | { kind: 'member'; id: string }
  | { kind: 'service'; id: string }
  | { kind: 'system'; id?: string };

export type AuditEvent<TAction extends string = string, TDetail = Record<string, unknown>> = {
  /** Verb in `<area>.<action>` form, e.g. 'member.registered', 'cert.revoked'. */
  action: TAction;
  actor: AuditActor;
  /** What was acted upon, e.g. { type: 'member', id: 'JP/GOV/123' }. */
  target?: { type: string; id: string };
  outcome: 'success' | 'failure';
  /** Catalogue error code when outcome is 'failure'. */
  errorCode?: string;
  /** The request that caused it (same as X-Request-Id). */
  requestId?: string;
  at: Date;
  /** Action-specific data. Keep personal data out unless the audit store is meant to hold it. */
  detail?: TDetail;
};

/** What a service's audit store implements (backed by its own DB). */
export type AuditSink<TAction extends string = string> = {
  record(event: AuditEvent<TAction>): Promise<void>;
};

/** Fill `at` (now) and default `outcome` ('success'); a typed identity otherwise. */
export function auditEvent<TAction extends string, TDetail = Record<string, unknown>>(
  event: Omit<AuditEvent<TAction, TDetail>, 'at' | 'outcome'> & Partial<Pick<AuditEvent<TAction, TDetail>, 'at' | 'outcome'>>,
): AuditEvent<TAction, TDetail> {
  return { ...event, outcome: event.outcome ?? 'success', at: event.at ?? new Date() };
}
