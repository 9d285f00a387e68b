import xterm from '@xterm/headless';

export interface Screen {
  /** Every line the terminal holds, scrollback first, trailing blanks dropped. */
  lines: string[];
  /** Lines that continue the one above because it was longer than the terminal is wide. */
  wrapped: number;
  cursorVisible: boolean;
}

/**
 * What a terminal of this size shows after receiving `output`: the escape sequences played through
 * a real terminal emulator. `resizeAt` changes its width where the output contains that marker.
 */
export async function terminalScreen(output: string, size: { cols: number; rows: number }, resizeAt?: { marker: string; cols: number }): Promise<Screen> {
  const terminal = new xterm.Terminal({ cols: size.cols, rows: size.rows, scrollback: 10_000, allowProposedApi: true, convertEol: true });
  const write = (data: string) => new Promise<void>((resolve) => terminal.write(data, resolve));
  const cut = resizeAt ? output.indexOf(resizeAt.marker) : -1;
  if (resizeAt && cut >= 0) {
    await write(output.slice(0, cut));
    terminal.resize(resizeAt.cols, size.rows);
    await write(output.slice(cut + resizeAt.marker.length));
  } else {
    await write(output);
  }
  const buffer = terminal.buffer.active;
  const lines: string[] = [];
  let wrapped = 0;
  for (let i = 0; i < buffer.length; i++) {
    const line = buffer.getLine(i)!;
    if (line.isWrapped) wrapped++;
    lines.push(line.translateToString(true));
  }
  while (lines.length && lines.at(-1) === '') lines.pop();
  // DECTCEM: the last show or hide wins.
  const hidden = output.lastIndexOf('\u001b[?25l');
  const shown = output.lastIndexOf('\u001b[?25h');
  terminal.dispose();
  return { lines, wrapped, cursorVisible: hidden < shown || hidden === -1 };
}
