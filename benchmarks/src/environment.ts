import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';

export interface Environment {
  readonly node: string;
  readonly platform: string;
  readonly cpuModel: string;
  readonly logicalCpus: number;
  readonly totalMemoryBytes: number;
  readonly commit: string | null;
  /** True when the working tree had uncommitted changes: the figures may not match `commit`. */
  readonly dirty: boolean | null;
  readonly date: string;
  readonly command: string;
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine skews figures. */
  readonly loadAverage: readonly number[];
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function collectEnvironment(argv: readonly string[]): Environment {
  const cpuList = cpus();
  const status = git(['status', '--porcelain']);
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpuModel: cpuList[0]?.model ?? 'unknown',
    logicalCpus: cpuList.length,
    totalMemoryBytes: totalmem(),
    commit: git(['rev-parse', 'HEAD']),
    dirty: status === null ? null : status.length > 0,
    date: new Date().toISOString(),
    command: `pnpm bench ${argv.join(' ')}`.trim(),
    loadAverage: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}
