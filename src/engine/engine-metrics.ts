import { AUTHORIZED_MTIS } from "../domain/message-kinds.ts";
import { RESPONSE_CODE_LIST } from "../domain/response-codes.ts";
import type { CodecErrorCode } from "../iso8583/errors.ts";
import type { FramingErrorCode } from "../iso8583/framing.ts";
import type { ValidationCode } from "../iso8583/validate.ts";
import { LINK_STATES } from "../link/network-link.ts";
import { MTI_NETWORK_REQUEST } from "../link/network-management.ts";
import type { Counter, Gauge, Histogram, MetricsRegistry } from "../ops/metrics.ts";

/** The engine's metrics, registered once; see the metrics list in docs/operating.md. */
export interface EngineMetrics {
  readonly messages: Counter;
  readonly latency: Histogram;
  readonly batchSize: Histogram;
  readonly ringDepth: Gauge;
  readonly readsPaused: Gauge;
  readonly linksWritePaused: Gauge;
  readonly links: Gauge;
  readonly decodeErrors: Counter;
  readonly formatErrors: Counter;
  readonly shed: Counter;
  readonly deadlineExpired: Counter;
  readonly undelivered: Counter;
  readonly ledgerFailures: Counter;
  readonly rejects: Counter;
  readonly unexpected: Counter;
  readonly reconnects: Counter;
  readonly framingLost: Counter;
}

/**
 * The label values known in advance, each series created at 0 when registered so that the first event
 * moves a rate. The code lists are checked against their types below: a new code that is not listed here
 * fails the type check.
 */
const DECODE_ERROR_CODES = [
  "truncated",
  "length_over_max",
  "length_invalid",
  "not_numeric",
  "invalid_padding",
  "invalid_hex",
  "invalid_sign",
  "field_not_in_spec",
  "bitmap_missing",
  "mti_invalid",
  "header_invalid",
  "trailing_bytes",
] as const satisfies readonly CodecErrorCode[];
/** Raised only while building or reading JSON, never by decoding a frame. */
type EncodeOnlyCodecErrorCode = "not_encodable" | "value_missing";
const FORMAT_ERROR_CODES = ["missing_field", "invalid_date", "invalid_track"] as const satisfies readonly ValidationCode[];
const FRAMING_ERROR_CODES = [
  "frame_too_large",
  "vap_header_invalid",
  "frame_assembly_timeout",
] as const satisfies readonly FramingErrorCode[];

type Unlisted<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : Exclude<All, Listed>;
const CODE_LISTS_COMPLETE: [
  Unlisted<CodecErrorCode, (typeof DECODE_ERROR_CODES)[number] | EncodeOnlyCodecErrorCode>,
  Unlisted<ValidationCode, (typeof FORMAT_ERROR_CODES)[number]>,
  Unlisted<FramingErrorCode, (typeof FRAMING_ERROR_CODES)[number]>,
] = [true, true, true];
void CODE_LISTS_COMPLETE;

/** The MTI label as the engine writes it: four digits. */
function mtiLabel(mti: number): string {
  return String(mti).padStart(4, "0");
}

const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

/**
 * Registers the engine's metrics with every known label value at 0: each request MTI we authorize with
 * each response code, our answer to a network management request (0800, 00), every decode, validation and
 * framing error code, every link state. Not known in advance, so shown when they happen: the MTI of a
 * message class we do not process (answered 12) or of an undecodable frame that is not one we authorize
 * (answered 30) — any four digits the network may send.
 */
export function registerEngineMetrics(registry: MetricsRegistry): EngineMetrics {
  const metrics = {
    messages: registry.counter(
      "sekisho_messages_total",
      "Requests answered, by request MTI and response code (DE 39)",
      ["mti", "response_code"],
    ),
    latency: registry.histogram(
      "sekisho_authorization_latency_seconds",
      "From a request read off the link to its response queued for writing",
      LATENCY_BUCKETS_SECONDS,
    ),
    batchSize: registry.histogram("sekisho_batch_size", "Requests per ledger batch", BATCH_BUCKETS),
    ringDepth: registry.gauge("sekisho_ring_depth", "Requests queued for authorization"),
    readsPaused: registry.gauge("sekisho_reads_paused", "1 while reading is paused on every link (ring above high water)"),
    linksWritePaused: registry.gauge(
      "sekisho_links_write_paused",
      "Links not reading because their unsent responses reached linkPendingBytesHighWater",
    ),
    links: registry.gauge("sekisho_links", "Links by state", ["state"]),
    decodeErrors: registry.counter("sekisho_decode_errors_total", "Frames that did not decode, by codec error", ["code"]),
    formatErrors: registry.counter("sekisho_format_errors_total", "Requests answered 30, by validation code", ["code"]),
    shed: registry.counter("sekisho_shed_total", "Requests answered 91 because the ring was full or the processor stopping"),
    deadlineExpired: registry.counter("sekisho_deadline_expired_total", "Requests answered 91 because their deadline passed"),
    undelivered: registry.counter(
      "sekisho_undelivered_total",
      "Responses lost: not queued (link gone, write buffer full) or still unsent when their link closed",
    ),
    ledgerFailures: registry.counter("sekisho_ledger_failures_total", "Ledger batches that failed (answered 91)"),
    rejects: registry.counter("sekisho_base1_rejects_total", "BASE I reject messages received"),
    unexpected: registry.counter("sekisho_unexpected_messages_total", "Responses nobody waited for, or unsupported messages"),
    reconnects: registry.counter("sekisho_link_connects_total", "TCP connections established to the network"),
    framingLost: registry.counter(
      "sekisho_framing_lost_total",
      "Links closed because their byte stream could not be framed, by cause",
      ["code"],
    ),
  };
  metrics.messages.initialize({ mti: [...AUTHORIZED_MTIS].map(mtiLabel), response_code: RESPONSE_CODE_LIST });
  metrics.messages.initialize({ mti: [mtiLabel(MTI_NETWORK_REQUEST)], response_code: ["00"] });
  metrics.links.initialize({ state: LINK_STATES });
  metrics.decodeErrors.initialize({ code: DECODE_ERROR_CODES });
  metrics.formatErrors.initialize({ code: FORMAT_ERROR_CODES });
  metrics.framingLost.initialize({ code: FRAMING_ERROR_CODES });
  return metrics;
}
