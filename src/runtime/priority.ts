/**
 * Rule priorities: a severity label, EMERGENCY (most severe) to DEBUG. Rules files write them in
 * any case and accept INFO for INFORMATIONAL; alerts print Falco's capitalised names.
 */

export const PRIORITIES = ['EMERGENCY', 'ALERT', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFORMATIONAL', 'DEBUG'] as const;

export type Priority = (typeof PRIORITIES)[number];

const DISPLAY: Record<Priority, string> = {
  EMERGENCY: 'Emergency',
  ALERT: 'Alert',
  CRITICAL: 'Critical',
  ERROR: 'Error',
  WARNING: 'Warning',
  NOTICE: 'Notice',
  INFORMATIONAL: 'Informational',
  DEBUG: 'Debug',
};

export function parsePriority(text: string): Priority | undefined {
  const upper = text.trim().toUpperCase();
  if (upper === 'INFO') return 'INFORMATIONAL';
  return (PRIORITIES as readonly string[]).includes(upper) ? (upper as Priority) : undefined;
}

/** 0 for EMERGENCY … 7 for DEBUG: lower is more severe. */
export function severity(p: Priority): number {
  return PRIORITIES.indexOf(p);
}

/** Whether `p` is at least as severe as `min`. */
export function atLeast(p: Priority, min: Priority): boolean {
  return severity(p) <= severity(min);
}

export function priorityName(p: Priority): string {
  return DISPLAY[p];
}
