/** The tables `syncscope export` prints: the --table choices (commands.ts) and what export.ts renders. */
export const TABLES = ['hourly', 'daily', 'repos', 'machines', 'aggregates'] as const;
export type Table = (typeof TABLES)[number];
