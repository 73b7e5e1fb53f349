import { CodecError } from "../iso8583/errors.ts";
import { jsonToBuilder } from "../iso8583/message-json.ts";
import { CommandError, parseFlags, readStdinBytes, type Command } from "./cli.ts";
import { profileFromFlag } from "./profile-flag.ts";

export const encodeCommand: Command = {
  name: "encode",
  summary: "encode a JSON message from stdin to one frame (no length prefix)",
  usage: `sekisho encode [--profile P] [--hex]

Reads the JSON that \`sekisho decode\` prints ({ mti, header?, fields }) on stdin and writes the frame
without its length prefix to stdout. Masked values cannot be encoded: decode with --unmasked first.

  --profile P    iso87-ascii (default), iso87-ascii-hex, visa-base1
  --hex          write the frame as uppercase hex text instead of raw bytes`,
  async run(argv) {
    const { values } = parseFlags(argv, {
      profile: { type: "string" },
      hex: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      console.log(this.usage);
      return 0;
    }
    const profile = profileFromFlag(values.profile);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(await readStdinBytes()));
    } catch (error) {
      throw new CommandError(`input is not JSON: ${(error as Error).message}`);
    }
    let frame: Uint8Array;
    try {
      frame = jsonToBuilder(profile, json).encode();
    } catch (error) {
      if (error instanceof CodecError) throw new CommandError(error.message);
      throw error;
    }
    if (values.hex) process.stdout.write(Buffer.from(frame).toString("hex").toUpperCase() + "\n");
    else process.stdout.write(frame);
    return 0;
  },
};
