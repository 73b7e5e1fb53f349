import { CodecError } from "../iso8583/errors.ts";
import { viewToJson } from "../iso8583/message-json.ts";
import { MessageView } from "../iso8583/message-view.ts";
import { CommandError, parseFlags, parseHexText, readStdinBytes, type Command } from "./cli.ts";
import { profileFromFlag } from "./profile-flag.ts";

export const decodeCommand: Command = {
  name: "decode",
  summary: "decode one frame (no length prefix) from stdin to JSON",
  usage: `sekisho decode [--profile P] [--hex] [--unmasked]

Reads one frame without its length prefix on stdin (for visa-base1: the 22-byte BASE I header, then the
message) and prints { mti, header?, fields } as JSON. PAN, track data and PIN blocks are masked unless
--unmasked is given.

  --profile P    iso87-ascii (default), iso87-ascii-hex, visa-base1
  --hex          stdin holds the frame as hex text instead of raw bytes
  --unmasked     print card data in full`,
  async run(argv) {
    const { values } = parseFlags(argv, {
      profile: { type: "string" },
      hex: { type: "boolean" },
      unmasked: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      console.log(this.usage);
      return 0;
    }
    const profile = profileFromFlag(values.profile);
    const input = await readStdinBytes();
    const frame = values.hex ? parseHexText(new TextDecoder().decode(input)) : input;
    const view = new MessageView(profile);
    try {
      view.decode(frame);
    } catch (error) {
      if (error instanceof CodecError) throw new CommandError(error.message);
      throw error;
    }
    const json = viewToJson(view, { unmasked: values.unmasked === true });
    process.stdout.write(JSON.stringify(view.rejected ? { ...json, rejected: true } : json, null, 2) + "\n");
    return 0;
  },
};
