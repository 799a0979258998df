import { EventEmitter } from "node:events";
import { EXIT } from "./errors";
import { promptHidden, type PromptInput } from "./prompt";

/** A fake terminal: records raw mode, lets the test type keys. */
class FakeTty extends EventEmitter implements PromptInput {
  isTTY = true;
  raw = false;
  setRawMode(mode: boolean) {
    this.raw = mode;
    return this;
  }
  setEncoding() {
    return this;
  }
  resume() {
    return this;
  }
  pause() {
    return this;
  }
  type(text: string) {
    this.emit("data", text);
  }
}

function output() {
  const chunks: string[] = [];
  return { write: (c: string) => chunks.push(c), text: () => chunks.join("") };
}

test("reads a line without echo, honouring backspace and ignoring escape sequences", async () => {
  const tty = new FakeTty();
  const out = output();
  const answer = promptHidden(tty, out, "Password: ");
  expect(tty.raw).toBe(true);
  tty.type("sekx");
  tty.type("\u007f");
  tty.type("\u001b[A"); // arrow up
  tty.type("ret\r");
  await expect(answer).resolves.toBe("sekret");
  expect(tty.raw).toBe(false);
  expect(out.text()).toBe("Password: \n"); // nothing typed was echoed
});

test("Ctrl-C cancels with exit 130", async () => {
  const tty = new FakeTty();
  const answer = promptHidden(tty, output(), "Password: ");
  tty.type("abc\u0003");
  await expect(answer).rejects.toMatchObject({ code: "cancelled", exitCode: EXIT.cancelled });
  expect(tty.raw).toBe(false);
});

test("without a terminal it explains how to pass the password", async () => {
  const notTty = Object.assign(new FakeTty(), { isTTY: false });
  await expect(promptHidden(notTty, output(), "Password: ")).rejects.toThrow(/CLI_PASSWORD/);
});
