/** Every workflow the worker runs. Deterministic code only: no I/O, no Node built-ins, no drivers. */
export * from './deadline-reminders';
export * from './retention';
export * from './retention-inventory';
export * from './full-recording';
export * from './disclosure';
export * from './history-archive';
export * from './access-review';
export * from './database-vacuum';
export * from './audit-archive';
