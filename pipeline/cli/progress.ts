/**
 * A progress bar on stderr for long batch runs, only when stderr is a terminal (cli-progress is
 * loaded only then: a run from cron or a pipe never pays for it).
 */
export async function createProgress(): Promise<{ update: (bytes: number, total: number | null) => void; stop: () => void } | null> {
  if (!process.stderr.isTTY) return null;
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'syncscope {bar} {percentage}% | {value}/{total} MiB', hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(bytes, total) {
      if (total === null || total < 8 * 2 ** 20) return;
      const mib = Math.round(bytes / 2 ** 20);
      if (!started) {
        bar.start(Math.round(total / 2 ** 20), mib);
        started = true;
      } else bar.update(mib);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
