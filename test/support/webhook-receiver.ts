import { verifySignature } from "../../src/notify/signature.ts";

/**
 * A program's webhook endpoint: verifies every delivery's signature (a bad one is answered 400 and
 * counted), records the events it accepts in arrival order, and fails on purpose when told to.
 */
export interface ReceivedEvent {
  id: string;
  type: string;
  created_at: string;
  data: Record<string, any>;
  attemptHeader: string | null;
}

export class WebhookReceiver {
  readonly accepted: ReceivedEvent[] = [];
  /** Every delivery attempt, accepted or not (event ids). */
  readonly attempts: string[] = [];
  readonly rawBodies: string[] = [];
  badSignatures = 0;
  /** Answer this many upcoming deliveries with 500 before accepting again. */
  failNext = 0;
  /** Hold each answer this long (ms). */
  delayMs = 0;
  private readonly server: ReturnType<typeof Bun.serve>;

  constructor(private readonly secret: string) {
    this.server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) => this.handle(request),
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.server.port}/hooks/sekisho`;
  }

  private async handle(request: Request): Promise<Response> {
    const body = await request.text();
    this.rawBodies.push(body);
    const problem = verifySignature(this.secret, request.headers.get("sekisho-signature"), body, {
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    if (problem !== null) {
      this.badSignatures++;
      return new Response(problem, { status: 400 });
    }
    const event = JSON.parse(body) as ReceivedEvent;
    this.attempts.push(event.id);
    if (this.delayMs > 0) await Bun.sleep(this.delayMs);
    if (this.failNext > 0) {
      this.failNext--;
      return new Response("try later", { status: 500 });
    }
    this.accepted.push({ ...event, attemptHeader: request.headers.get("sekisho-delivery-attempt") });
    return new Response(null, { status: 204 });
  }

  /** Accepted events without duplicates (at-least-once delivery may repeat one), first arrival kept. */
  unique(): ReceivedEvent[] {
    const seen = new Set<string>();
    return this.accepted.filter((event) => (seen.has(event.id) ? false : (seen.add(event.id), true)));
  }

  async until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await Bun.sleep(10);
    }
  }

  stop(): void {
    this.server.stop(true);
  }
}
