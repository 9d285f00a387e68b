/** One JSON object per line: what a log collector in the cluster indexes without parsing text. */
export interface LogRecord {
  level: 'info' | 'warn' | 'error';
  event: string;
  msg: string;
  [field: string]: unknown;
}

export type Log = (record: LogRecord) => void;

export function jsonLineLog(write: (line: string) => void, now: () => Date = () => new Date()): Log {
  return (record) => {
    const { level, event, msg, ...fields } = record;
    write(`${JSON.stringify({ time: now().toISOString(), level, event, msg, ...fields })}\n`);
  };
}
