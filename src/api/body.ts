import { ApiError } from "./errors.ts";

/**
 * Reads a request body as JSON within `bytesMax`: a declared Content-Length over the limit is refused
 * before anything is read, and a body without one (chunked) is counted as it streams and cut off at the
 * limit, so no client can make us buffer more than `bytesMax` bytes.
 */
export async function readJsonBody(request: Request, bytesMax: number): Promise<unknown> {
  const bytes = await readBodyBytes(request, bytesMax);
  if (bytes.length === 0) return undefined;
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "invalid_json", "the request body is not valid JSON");
  }
}

export async function readBodyBytes(request: Request, bytesMax: number): Promise<Uint8Array> {
  const tooLarge = () => new ApiError(413, "body_too_large", `the request body exceeds ${bytesMax} bytes`);
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    const length = Number(declared);
    if (!Number.isSafeInteger(length) || length < 0) throw new ApiError(400, "invalid_request", "invalid Content-Length");
    if (length > bytesMax) throw tooLarge();
  }
  if (request.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > bytesMax) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
