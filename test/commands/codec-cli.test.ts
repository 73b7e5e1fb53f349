import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../support/cli.ts";

const VECTOR = new Uint8Array(readFileSync(join(import.meta.dir, "../fixtures/moov-io/iso_reversal_message.dat")));

describe("sekisho decode / encode", () => {
  test("decode prints JSON with the PAN masked; encode of the unmasked JSON gives the same bytes", async () => {
    const masked = await runCli(["decode", "--profile", "iso87-ascii-hex"], VECTOR);
    expect(masked.exitCode).toBe(0);
    const json = JSON.parse(masked.stdoutText);
    expect(json.mti).toBe("0400");
    expect(json.fields["2"]).toBe("111111*********0000");
    expect(masked.stdoutText).not.toContain("1111111110000000000");

    const unmasked = await runCli(["decode", "--profile", "iso87-ascii-hex", "--unmasked"], VECTOR);
    const encoded = await runCli(["encode", "--profile", "iso87-ascii-hex"], unmasked.stdoutText);
    expect(encoded.exitCode).toBe(0);
    expect(Buffer.from(encoded.stdout).equals(Buffer.from(VECTOR))).toBe(true);
  });

  test("--hex works both ways, for visa-base1 with its header", async () => {
    const message = {
      mti: "0100",
      header: {
        headerFormat: 1, textFormat: 2, destination: "000001", source: "000002", roundTrip: 0,
        base1Flags: 0, statusFlags: 0, batchNumber: 0, reserved: "000000", userInfo: 0,
      },
      fields: { "2": "4111111111111111", "4": "000000001000", "11": "000123", "35": "4111111111111111D30121010000" },
    };
    const encoded = await runCli(["encode", "--profile", "visa-base1", "--hex"], JSON.stringify(message));
    expect(encoded.exitCode).toBe(0);
    expect(encoded.stdoutText).toMatch(/^[0-9A-F]+\n$/);
    const decoded = await runCli(["decode", "--profile", "visa-base1", "--hex"], encoded.stdoutText);
    expect(decoded.exitCode).toBe(0);
    const json = JSON.parse(decoded.stdoutText);
    expect(json.header.destination).toBe("000001");
    expect(json.header.totalLength).toBe((encoded.stdoutText.length - 1) / 2);
    expect(json.fields["2"]).toBe("411111******1111");
    expect(json.fields["35"]).toBe("*".repeat(28));
    expect(json.fields["11"]).toBe("000123");
  });

  test("bad input: one line naming the code, field and offset, exit 1, no stack trace", async () => {
    const truncated = VECTOR.subarray(0, 200);
    const result = await runCli(["decode", "--profile", "iso87-ascii-hex"], truncated);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^sekisho decode: truncated: field \d+ at byte \d+/);
    const badJson = await runCli(["encode"], "{not json");
    expect(badJson.exitCode).toBe(1);
    expect(badJson.stderr).toMatch(/^sekisho encode: input is not JSON/);
    const badValue = await runCli(["encode"], JSON.stringify({ mti: "0100", fields: { "3": "12345X" } }));
    expect(badValue.exitCode).toBe(1);
    expect(badValue.stderr).toMatch(/not_numeric: field 3/);
    const notHex = await runCli(["decode", "--hex"], "zz");
    expect(notHex.exitCode).toBe(1);
  });
});

describe("sekisho CLI conventions", () => {
  test("--help and --version", async () => {
    const help = await runCli(["--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdoutText).toContain("decode");
    const version = await runCli(["--version"]);
    expect(version.stdoutText.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const commandHelp = await runCli(["decode", "--help"]);
    expect(commandHelp.exitCode).toBe(0);
    expect(commandHelp.stdoutText).toContain("--unmasked");
  });

  test("unknown commands, flags and profiles: one line, exit 2", async () => {
    for (const args of [["frobnicate"], ["decode", "--bogus"], ["decode", "--profile", "nope"], ["bench", "nope"]]) {
      const result = await runCli(args, "");
      expect(result.exitCode).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  test("bench codec --json reports the three medians", async () => {
    const result = await runCli(["bench", "codec", "--json"], undefined, {});
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdoutText);
    for (const key of ["decode_ns", "encode_ns", "roundtrip_ns"]) expect(report[key]).toBeGreaterThan(0);
  });
});
