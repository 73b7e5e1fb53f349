import type { MessageBuilder } from "../iso8583/message-builder.ts";
import type { MessageView } from "../iso8583/message-view.ts";
import { requestFromView, transactionKeyOfView } from "../authorize/request.ts";
import type { AuthorizationDecision, AuthorizationRequest } from "../domain/authorization.ts";
import type { ResponseCode } from "../domain/response-codes.ts";
import type { Ledger } from "../ledger/ledger.ts";
import type { LinkSession } from "../link/session.ts";
import { AssertionFailure, type AssertionFailureSink } from "../ops/assert.ts";
import type { Logger } from "../ops/log.ts";
import type { EngineMetrics } from "./engine-metrics.ts";
import type { FlowControl } from "./flow-control.ts";
import { buildCodeOnlyResponse, buildDecisionResponse } from "./responses.ts";
import { RequestBatch, type RequestRing, type ViewPool } from "./ring.ts";

export interface TaskContext {
  readonly ring: RequestRing;
  readonly pool: ViewPool;
  readonly flow: FlowControl;
  readonly ledger: Ledger;
  readonly metrics: EngineMetrics;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly requestDeadlineMs: number;
  /** True once an invariant broke anywhere: nothing more goes to the ledger, nothing more from it is answered. */
  readonly invariantBroken: () => boolean;
  /** A broken invariant met here: stops authorizing and hands it to the process's fatal handler. */
  readonly onAssertionFailure: AssertionFailureSink;
}

/**
 * One of the fixed set of authorization tasks, started once. Each turn it takes up to `batchSizeMax` queued
 * requests, answers 91 to those past their deadline (no ledger effect), hands the rest to the ledger as one
 * batch — one durable commit — and only then writes the answers: one write per link per batch.
 *
 * A broken invariant (an AssertionFailure from the ledger) is not a ledger failure: it is handed to
 * `onAssertionFailure` and nothing more is authorized. The batch that broke it was rolled back with the
 * throw, so nothing was decided: its requests, and every one after, get 91 without the ledger — the
 * network stands in, as it would after a timeout, only sooner — and a batch whose decisions come back after
 * the invariant broke (another task's) is answered 91 too: no decision made since can be trusted.
 */
export class AuthorizationTask {
  private readonly batch: RequestBatch;
  private readonly requests: AuthorizationRequest[] = [];
  /** For each request sent to the ledger, its index in the batch. */
  private readonly requestIndex: Int32Array;
  private readonly touched = new Set<LinkSession>();
  busy = false;
  batches = 0;

  constructor(
    readonly id: number,
    batchSizeMax: number,
    private readonly builder: MessageBuilder,
    private readonly context: TaskContext,
  ) {
    this.batch = new RequestBatch(batchSizeMax);
    this.requestIndex = new Int32Array(batchSizeMax);
  }

  /** Runs until `stopping()` is true and the ring is empty. */
  async run(stopping: () => boolean): Promise<void> {
    const ring = this.context.ring;
    for (;;) {
      if (ring.length === 0) {
        if (stopping()) return;
        await ring.whenNonEmpty();
        continue;
      }
      this.busy = true;
      try {
        await this.runBatch();
      } finally {
        this.busy = false;
      }
    }
  }

  private async runBatch(): Promise<void> {
    const { ring, flow, metrics, clock, requestDeadlineMs, logger } = this.context;
    const batch = this.batch;
    const count = ring.popInto(batch);
    flow.afterPop();
    metrics.batchSize.observe(count);
    const startedAtMs = clock();
    const requests = this.requests;
    requests.length = 0;
    const preDecided: Array<ResponseCode | null> = new Array(count).fill(null);
    for (let i = 0; i < count; i++) {
      if (startedAtMs - batch.receivedAtMs[i]! > requestDeadlineMs) {
        metrics.deadlineExpired.inc();
        preDecided[i] = "91";
        continue;
      }
      try {
        this.requestIndex[requests.length] = i;
        requests.push(requestFromView(batch.views[i]!, batch.receivedAtMs[i]!));
      } catch (error) {
        logger.error("engine.request_mapping_failed", { request: transactionKeyOfView(batch.views[i]!), error });
        preDecided[i] = "96";
      }
    }
    let decisions: AuthorizationDecision[] | null = null;
    if (requests.length > 0 && !this.context.invariantBroken()) {
      try {
        decisions = await this.context.ledger.authorizeBatch(requests);
        if (decisions.length !== requests.length) throw new AssertionFailure("ledger returned a decision count that does not match");
      } catch (error) {
        decisions = null;
        if (error instanceof AssertionFailure) this.context.onAssertionFailure(error);
        else {
          metrics.ledgerFailures.inc();
          logger.error("engine.ledger_batch_failed", { requests: requests.length, error });
        }
      }
      // After the await: an invariant may have broken meanwhile, in this batch or another task's.
      if (this.context.invariantBroken()) decisions = null;
    }
    // Decisions are durable now: answer everything in the batch, in order.
    let next = 0;
    for (let i = 0; i < count; i++) {
      const view = batch.views[i]!;
      const session = batch.sessions[i]!;
      let code = preDecided[i];
      let decision: AuthorizationDecision | null = null;
      if (code === null) {
        decision = decisions === null ? null : decisions[next]!;
        next++;
        if (decision === null) code = "91";
      }
      if (decision !== null) buildDecisionResponse(this.builder, view, decision);
      else buildCodeOnlyResponse(this.builder, view, code!);
      this.deliver(session, view, decision?.responseCode ?? code!, batch.receivedAtMs[i]!);
    }
    for (const session of this.touched) session.flush();
    this.touched.clear();
    for (let i = 0; i < count; i++) this.context.pool.give(batch.views[i]!);
    batch.clear();
    this.batches++;
  }

  private deliver(session: LinkSession, view: MessageView, code: string, receivedAtMs: number): void {
    const { metrics, logger, clock } = this.context;
    const result = session.closed ? "closed" : session.writer.enqueue(this.builder);
    if (result !== "queued") {
      // The network will stand in and tell us with an advice, which the ledger reconciles.
      if (result === "overflow") session.abort(); // the peer stopped reading: re-dial
      metrics.undelivered.inc();
      logger.warn("engine.response_undelivered", { link: session.label, transaction: transactionKeyOfView(view), code, result });
      return;
    }
    this.touched.add(session);
    metrics.messages.inc({ mti: view.mtiString(), response_code: code });
    metrics.latency.observe((clock() - receivedAtMs) / 1000);
  }
}
