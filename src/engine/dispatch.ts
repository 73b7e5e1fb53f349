import { CodecError } from "../iso8583/errors.ts";
import type { MessageBuilder } from "../iso8583/message-builder.ts";
import type { MessageView } from "../iso8583/message-view.ts";
import { ignoredFields, validateMessage } from "../iso8583/validate.ts";
import { AUTHORIZED_MTIS } from "../domain/message-kinds.ts";
import type { ResponseCode } from "../domain/response-codes.ts";
import { buildNetworkAnswer, MTI_NETWORK_REQUEST, MTI_NETWORK_RESPONSE } from "../link/network-management.ts";
import type { FrameSink, LinkSession } from "../link/session.ts";
import type { Logger } from "../ops/log.ts";
import { assert } from "../ops/assert.ts";
import type { EngineMetrics } from "./engine-metrics.ts";
import type { FlowControl } from "./flow-control.ts";
import { buildCodeOnlyResponse, buildUndecodableResponse } from "./responses.ts";
import type { RequestRing, ViewPool } from "./ring.ts";

/** What the dispatcher does with an authorization request. */
export type DispatchMode = "queue" | "decline";

export interface DispatchContext {
  readonly ring: RequestRing;
  readonly pool: ViewPool;
  readonly flow: FlowControl;
  readonly builder: MessageBuilder;
  readonly metrics: EngineMetrics;
  readonly logger: Logger;
  readonly clock: () => number;
}

/**
 * Frames in: decode into the session's scratch view, then route by MTI. Network management is answered
 * inline; authorization requests (AUTHORIZED_MTIS, src/domain/message-kinds.ts) go to the ring (the scratch view moves with them and the session gets a
 * fresh one from the pool); bad input gets its protocol answer — 30 when MTI and STAN can be read — and is
 * counted. Synchronous and allocation-free on the happy path; it never throws for anything the network sent.
 */
export class Dispatcher implements FrameSink {
  mode: DispatchMode = "queue";

  constructor(private readonly context: DispatchContext) {}

  onFrame(session: LinkSession, frame: Uint8Array): void {
    const view = session.scratch;
    assert(view !== null, "session without a scratch view");
    try {
      view.decode(frame);
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      this.onUndecodable(session, view, frame, error);
      return;
    }
    if (view.rejected) {
      this.context.metrics.rejects.inc();
      this.context.logger.warn("link.base1_reject", { link: session.label, rejectCode: view.header()?.rejectCode });
      return;
    }
    const mti = view.mti;
    if (AUTHORIZED_MTIS.has(mti)) {
      this.onAuthorizationRequest(session, view);
    } else if (mti === MTI_NETWORK_REQUEST) {
      this.answer(session, buildNetworkAnswer(this.context.builder, view), mti, "00");
    } else if (mti === MTI_NETWORK_RESPONSE) {
      if (!session.onNetworkManagementResponse(view)) this.context.metrics.unexpected.inc();
    } else if (isRequestFunction(mti) && view.has(11)) {
      this.answerCode(session, view, "12"); // a message class we do not process
    } else {
      this.context.metrics.unexpected.inc();
      this.context.logger.warn("dispatch.unexpected_message", { link: session.label, mti: view.mtiString() });
    }
  }

  private onAuthorizationRequest(session: LinkSession, view: MessageView): void {
    const issue = validateMessage(view);
    if (issue !== null) {
      this.context.metrics.formatErrors.inc({ code: issue.code });
      this.context.logger.warn("dispatch.format_error", { link: session.label, mti: view.mtiString(), ...issue });
      this.answerCode(session, view, "30");
      return;
    }
    if (this.context.logger.enabled("debug")) this.logIgnoredFields(session, view);
    if (this.mode === "decline") {
      this.context.metrics.shed.inc();
      this.answerCode(session, view, "91");
      return;
    }
    const { ring, pool, flow } = this.context;
    if (ring.push(view, session, this.context.clock()) === "full") {
      this.context.metrics.shed.inc();
      this.answerCode(session, view, "91");
      return;
    }
    session.scratch = pool.take();
    flow.afterPush();
  }

  /** A reversal's or advice's fields that have no use to us (validate.ts's extra-field rule): numbers only. */
  private logIgnoredFields(session: LinkSession, view: MessageView): void {
    const fields = ignoredFields(view);
    if (fields.length === 0) return;
    this.context.logger.debug("dispatch.fields_ignored", { link: session.label, mti: view.mtiString(), fields });
  }

  /**
   * decode() stops at the first fault; the tolerant locate pass then steps over fields whose length is
   * known, so a request with letters in DE 4 still has its DE 11 found. Answered 30 when the MTI asks for
   * an answer and DE 11 was located (even if broken: it goes back as received).
   */
  private onUndecodable(session: LinkSession, view: MessageView, frame: Uint8Array, error: CodecError): void {
    this.context.metrics.decodeErrors.inc({ code: error.code });
    // The error names field and offset, never a value: safe to log as is.
    this.context.logger.warn("dispatch.decode_error", { link: session.label, mti: view.mtiString(), error: error.message });
    view.locate(frame);
    if (view.mti < 0 || !isRequestFunction(view.mti) || !view.located(11)) return;
    this.answer(session, buildUndecodableResponse(this.context.builder, view), view.mti, "30");
  }

  private answerCode(session: LinkSession, view: MessageView, code: ResponseCode): void {
    this.answer(session, buildCodeOnlyResponse(this.context.builder, view, code), view.mti, code);
  }

  private answer(session: LinkSession, builder: MessageBuilder, mti: number, code: string): void {
    const result = session.writer.enqueue(builder);
    if (result !== "queued") {
      if (result === "overflow") session.abort(); // the peer stopped reading: re-dial
      this.context.metrics.undelivered.inc();
      this.context.logger.warn("dispatch.answer_not_queued", { link: session.label, mti, result });
      return;
    }
    this.context.metrics.messages.inc({ mti: String(mti).padStart(4, "0"), response_code: code });
  }
}

/** ISO 8583 MTI function digit (third): 0 request, 2 advice, 4 notification — those expect an answer. */
function isRequestFunction(mti: number): boolean {
  const fn = Math.floor(mti / 10) % 10;
  return fn === 0 || fn === 2 || fn === 4;
}
