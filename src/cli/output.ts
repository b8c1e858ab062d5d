/** Writes a command's requested output to stdout or, with --output, atomically to a file. */
import { writeFileAtomic } from '../core/fs.ts';
import { PalisadeError, errorMessage } from '../core/errors.ts';
import type { InputIssue } from '../core/types.ts';
import type { CliContext } from './context.ts';

export async function emit(ctx: CliContext, text: string, outputPath: string | undefined): Promise<void> {
  if (!outputPath) {
    ctx.stdout.write(text);
    return;
  }
  try {
    await writeFileAtomic(outputPath, text);
  } catch (err) {
    throw new PalisadeError('INPUT_UNREADABLE', `cannot write ${outputPath}: ${errorMessage(err)}`, { cause: err });
  }
  ctx.log.info(`wrote ${outputPath}`);
}

/** Accepts `--flag a,b --flag c` as [a, b, c]. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

/** Inputs that could not be read (whole or in part), as warnings. */
export function reportIssues(ctx: CliContext, issues: InputIssue[]): void {
  for (const issue of issues) ctx.log.warn(`${issue.path}${issue.line !== undefined ? `:${issue.line}` : ''}: ${issue.message}`);
}
