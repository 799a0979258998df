import { CliError, EXIT } from "./errors";

/** The bits of a TTY input stream the prompt needs (process.stdin when it is a terminal). */
export interface PromptInput {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  setEncoding(encoding: BufferEncoding): unknown;
  resume(): unknown;
  pause(): unknown;
  on(event: "data", listener: (chunk: string) => void): unknown;
  removeListener(event: "data", listener: (chunk: string) => void): unknown;
}

export interface PromptOutput {
  write(chunk: string): unknown;
}

/**
 * Reads a line from the terminal without echoing it. Ctrl-C cancels (exit 130), Ctrl-D on an empty
 * line cancels, backspace deletes, other control keys and escape sequences are ignored.
 */
export function promptHidden(input: PromptInput, output: PromptOutput, question: string): Promise<string> {
  if (!input.isTTY || !input.setRawMode) {
    return Promise.reject(new CliError("no_password", "No password: set CLI_PASSWORD, or run the command in a terminal to be prompted."));
  }
  const setRawMode = input.setRawMode.bind(input);
  return new Promise<string>((resolve, reject) => {
    let value = "";
    const finish = (error: CliError | null) => {
      input.removeListener("data", onData);
      setRawMode(false);
      input.pause();
      output.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      if (chunk.startsWith("\u001b")) return; // arrow keys and other escape sequences
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return finish(null);
        if (ch === "\u0003") return finish(new CliError("cancelled", "Cancelled.", { exitCode: EXIT.cancelled }));
        if (ch === "\u0004") return finish(value ? null : new CliError("cancelled", "Cancelled.", { exitCode: EXIT.cancelled }));
        if (ch === "\u007f" || ch === "\b") {
          value = [...value].slice(0, -1).join("");
          continue;
        }
        if (ch < " ") continue;
        value += ch;
      }
    };
    // Echo off before the question appears: whoever answers it (a person, or a test through a
    // pseudo-terminal) must never find the terminal still echoing.
    setRawMode(true);
    output.write(question);
    input.setEncoding("utf8");
    input.on("data", onData);
    input.resume();
  });
}
