// The one-line error carries no escape codes when stderr is not a terminal, even where CI is set
// (picocolors alone would colour it there).
import { afterEach, describe, expect, it } from 'vitest';
import { reportError } from '../../src/cli/run-command.js';
import { InferplanError } from '../../src/common/index.js';

const saved = { CI: process.env.CI, FORCE_COLOR: process.env.FORCE_COLOR, NO_COLOR: process.env.NO_COLOR };

afterEach(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

function captureStderr(run: () => void): string {
  let text = '';
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    run();
  } finally {
    process.stderr.write = original;
  }
  return text;
}

describe('error colour', () => {
  it('is plain on a non-terminal stderr with CI set', () => {
    process.env.CI = 'true';
    delete process.env.FORCE_COLOR;
    const text = captureStderr(() => reportError(new InferplanError('bad --tp', 2), false));
    expect(text).toBe('error: bad --tp\n');
  });

  it('is coloured when FORCE_COLOR asks for it', () => {
    process.env.FORCE_COLOR = '1';
    const text = captureStderr(() => reportError(new InferplanError('bad --tp', 2), false));
    expect(text).toContain(`${String.fromCharCode(27)}[31merror:`);
  });

  it('is plain with FORCE_COLOR=0', () => {
    process.env.FORCE_COLOR = '0';
    const text = captureStderr(() => reportError(new InferplanError('bad --tp', 2), false));
    expect(text).toBe('error: bad --tp\n');
  });

  it('turns a file-system error on a user path into one line naming it', () => {
    delete process.env.FORCE_COLOR;
    const error = Object.assign(new Error("ENOTDIR: not a directory, scandir '/x/file.csv'"), {
      code: 'ENOTDIR',
      syscall: 'scandir',
      path: '/x/file.csv',
    });
    let code = 0;
    const text = captureStderr(() => {
      code = reportError(error, false);
    });
    expect(text).toBe(
      'error: cannot list the folder /x/file.csv: a part of the path is a file, not a folder (ENOTDIR); check the path\n',
    );
    expect(code).toBe(3);
    // Anything else stays a reported bug.
    expect(captureStderr(() => reportError(new Error('boom'), false))).toMatch(/^internal error: boom\n/);
  });
});
