import type { Socket } from "bun";
import { originatingBase1Header } from "../../src/iso8583/base1-header.ts";
import { MessageBuilder } from "../../src/iso8583/message-builder.ts";
import { MessageView } from "../../src/iso8583/message-view.ts";
import { loadProfile, type ProfileName } from "../../src/iso8583/profiles/index.ts";
import { beginResponse } from "../../src/iso8583/response.ts";
import { Framer, frameBytes } from "../../src/iso8583/framing.ts";

/**
 * A small stand-in for the processor, written apart from the simulator's model so that the two check each
 * other: it dials the network, signs on, and answers every request from an in-memory ledger by the rules
 * of the protocol (card → status → expiry → inquiry → limits → funds; replays by transaction key;
 * reversals by DE 90). Faults can be switched on to prove the simulator catches them.
 */
export interface FakeCard {
  pan: string;
  expiry: string;
  status: string;
  limits: { perTransactionMax: number; perDayAmountMax: number; perDayCountMax: number };
  available: number;
  ledger: number;
  day: number;
  dayAmount: number;
  dayCount: number;
}

export interface FakeFaults {
  /** Every Nth answer: MTI class + 100 (0110 → 0210). */
  wrongMtiEvery?: number;
  /** Every Nth answer: `field` left out. */
  dropField?: { field: number; every: number };
  /** Every Nth approval (0110/0210 with 00): no DE 38. */
  approvalWithoutDe38Every?: number;
  /** Every Nth answer goes out on the next link (needs two links). */
  wrongLinkEvery?: number;
  /** Every Nth answer is held back `delayMs`. */
  late?: { every: number; delayMs: number };
  /** Every Nth answer is sent twice. */
  answerTwiceEvery?: number;
  /** Every Nth approved 0100 is answered 00 but holds nothing (the ledger drifts from the answers). */
  forgetHoldEvery?: number;
  /** Every Nth approved 0100 is answered 00 (with DE 38) but the ledger keeps neither the hold nor the entry. */
  forgetApprovalEvery?: number;
  /** Every Nth decline is answered as decided but recorded in the history with DE 39 05 instead. */
  misrecordDeclineEvery?: number;
  /**
   * Every Nth request that asks for a new decision is answered 91 and nothing is stored (a batch that failed):
   * its repeat or retransmission, with the same key, is then decided afresh.
   */
  unavailableEvery?: number;
}

export type FaultKind =
  | "wrong_mti"
  | "drop_field"
  | "no_de38"
  | "wrong_link"
  | "late"
  | "forget_hold"
  | "answer_twice"
  | "forget_approval"
  | "misrecord_decline"
  | "unavailable";

/** One entry of a card's history, in the Processor API's shape (GET /v1/users/:id/transactions). */
export interface FakeHistoryEntry {
  type: string;
  status: string;
  amount: number;
  response_code: string | null;
  approval_code: string | null;
  created_at: string;
}

/** A request as it arrived, without the fields that come from the clock or the STAN counter. */
export interface SeenRequest {
  mti: number;
  pan: string;
  processingCode: string;
  amount: number;
  expiry: string | null;
  replacement: string | null;
}

interface Stored {
  code: string;
  approval: string | null;
}

interface FakeLink {
  socket: Socket<FakeLink>;
  framer: Framer;
  queue: Uint8Array[];
  signedOn: boolean;
  /** Requests (not network management) that arrived on this link, and the network's own 0800s. */
  requests: number;
  networkRequests: number;
  onSignOn: (() => void) | null;
  lastControlCode: string | null;
}

export class FakeProcessor {
  readonly cards = new Map<string, FakeCard>();
  readonly links: FakeLink[] = [];
  answered = 0;
  networkAnswered = 0;
  readonly controlAnswers: string[] = [];
  readonly faultsInjected: Record<FaultKind, number> = {
    wrong_mti: 0, drop_field: 0, no_de38: 0, wrong_link: 0, late: 0, forget_hold: 0, answer_twice: 0,
    forget_approval: 0, misrecord_decline: 0, unavailable: 0,
  };
  /** Transaction keys answered 91 (nothing stored for them), and those of them decided later. */
  readonly unavailableKeys = new Set<string>();
  readonly decidedAfterUnavailable = new Set<string>();
  private decisionsForFault = 0;
  /** Every decision taken for a card of the book, by PAN (replays add nothing). */
  readonly histories = new Map<string, FakeHistoryEntry[]>();
  private declinesForFault = 0;
  /** The first requests of each acquirer (DE 32), when capturing. */
  readonly seen = new Map<string, SeenRequest[]>();
  private readonly capturePerAcquirer: number;
  private approvedAuthorizations = 0;
  private readonly profile;
  private readonly view;
  private readonly builder;
  private readonly store = new Map<string, Stored>();
  private readonly holds = new Map<string, { card: FakeCard; amount: number }>();
  private approvals = 0;
  private approvalsForFault = 0;
  private readonly faults: FakeFaults;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(options: { profile: ProfileName; cards: Iterable<FakeCard>; faults?: FakeFaults; capturePerAcquirer?: number }) {
    this.capturePerAcquirer = options.capturePerAcquirer ?? 0;
    this.profile = loadProfile(options.profile);
    this.view = new MessageView(this.profile);
    this.builder = new MessageBuilder(this.profile);
    for (const card of options.cards) this.cards.set(card.pan, { ...card });
    this.faults = options.faults ?? {};
  }

  /** Dials the network `count` times and signs each link on. */
  async connect(port: number, count = 1): Promise<void> {
    for (let i = 0; i < count; i++) {
      const link = await this.dial(port);
      await this.control(link, "001");
    }
  }

  async dial(port: number): Promise<FakeLink> {
    const link: FakeLink = {
      socket: null as unknown as Socket<FakeLink>,
      framer: new Framer({ framing: this.profile.framing, frameBytesMax: 8192 }),
      queue: [],
      signedOn: false,
      requests: 0,
      networkRequests: 0,
      onSignOn: null,
      lastControlCode: null,
    };
    link.socket = await Bun.connect<FakeLink>({
      hostname: "127.0.0.1",
      port,
      data: link,
      socket: {
        binaryType: "uint8array",
        data: (socket, chunk) => {
          socket.data.framer.push(chunk, (frame) => this.frame(socket.data, frame));
          this.flush(socket.data);
        },
        drain: (socket) => this.flush(socket.data),
        close: (socket) => {
          const index = this.links.indexOf(socket.data);
          if (index >= 0) this.links.splice(index, 1);
        },
      },
    });
    this.links.push(link);
    return link;
  }

  /** Sends 0800 with DE 70 `code` and waits for its 0810. */
  control(link: FakeLink, code: string): Promise<string> {
    const builder = this.builder.reset(800);
    if (this.profile.headerBytes > 0) builder.setHeader(HEADER);
    builder.set(7, "0101000000").set(11, "000001").set(70, code);
    return new Promise((resolve) => {
      link.onSignOn = () => resolve(link.lastControlCode ?? "");
      this.send(link, builder.encode());
      this.flush(link);
    });
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    for (const link of [...this.links]) link.socket.end();
  }

  private frame(link: FakeLink, frame: Uint8Array): void {
    const view = this.view.decode(frame);
    if (view.mti === 810) {
      link.lastControlCode = view.has(39) ? view.string(39) : null;
      this.controlAnswers.push(`${view.string(70)}:${link.lastControlCode}`);
      if (view.string(70) === "001" && link.lastControlCode === "00") link.signedOn = true;
      const done = link.onSignOn;
      link.onSignOn = null;
      done?.();
      return;
    }
    if (view.mti === 800) {
      this.networkAnswered++;
      link.networkRequests++;
      this.send(link, beginResponse(this.builder, view).set(39, "00").encode());
      return;
    }
    this.answer(link, view);
  }

  private answer(link: FakeLink, view: MessageView): void {
    link.requests++;
    this.capture(view);
    const { code, approval, balance } = this.decide(view);
    const builder = beginResponse(this.builder, view).set(39, code);
    const approvalAnswer = code === "00" && (view.mti < 300 && view.mti !== 120 && view.mti !== 121);
    if (code === "00" && approval !== null) builder.set(38, approval);
    if (balance !== null) builder.set(54, balance);
    this.answered++;
    const n = this.answered;
    const f = this.faults;
    if (f.dropField && n % f.dropField.every === 0 && view.has(f.dropField.field)) {
      builder.unset(f.dropField.field);
      this.faultsInjected.drop_field++;
    }
    if (approvalAnswer && f.approvalWithoutDe38Every && ++this.approvalsForFault % f.approvalWithoutDe38Every === 0) {
      builder.unset(38);
      this.faultsInjected.no_de38++;
    }
    const bytes = builder.encode();
    if (f.wrongMtiEvery && n % f.wrongMtiEvery === 0) {
      // One class up (0110 → 0210): the class digit is the second ASCII digit, or the low nibble of BCD byte 0.
      bytes[this.profile.headerBytes + (this.profile.mtiBcd ? 0 : 1)]! += 1;
      this.faultsInjected.wrong_mti++;
    }
    let target = link;
    if (f.wrongLinkEvery && n % f.wrongLinkEvery === 0 && this.links.length > 1) {
      target = this.links[(this.links.indexOf(link) + 1) % this.links.length]!;
      this.faultsInjected.wrong_link++;
    }
    if (f.late && n % f.late.every === 0) {
      this.faultsInjected.late++;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.send(target, bytes);
        this.flush(target);
      }, f.late.delayMs);
      this.timers.add(timer);
      return;
    }
    this.send(target, bytes);
    if (f.answerTwiceEvery && n % f.answerTwiceEvery === 0) {
      this.send(target, bytes);
      this.faultsInjected.answer_twice++;
    }
    if (target !== link) this.flush(target);
  }

  private decide(view: MessageView): { code: string; approval: string | null; balance: string | null } {
    const mti = view.mti;
    const messageClass = Math.floor(mti / 100) % 10;
    const key = `${messageClass === 4 ? "04" : messageClass === 2 ? "02" : "01"}|${String(Number(view.string(32)))}|${view.string(11)}|${view.string(7)}`;
    const stored = this.store.get(key);
    if (stored !== undefined) return { ...stored, balance: null };
    if (this.faults.unavailableEvery && ++this.decisionsForFault % this.faults.unavailableEvery === 0) {
      this.faultsInjected.unavailable++;
      this.unavailableKeys.add(key);
      return { code: "91", approval: null, balance: null };
    }
    if (this.unavailableKeys.has(key)) this.decidedAfterUnavailable.add(key);
    const result = messageClass === 4 ? this.reverse(view) : this.authorize(view, key);
    this.store.set(key, { code: result.code, approval: result.approval });
    this.recordHistory(view, result);
    return result;
  }

  /** The ledger's entry for a new decision, as the API would list it. */
  private recordHistory(view: MessageView, result: { code: string; approval: string | null; released?: number; forgotten?: boolean }): void {
    const pan = view.string(2);
    if (!this.cards.has(pan) || result.forgotten) return;
    const mti = view.mti;
    const messageClass = Math.floor(mti / 100) % 10;
    const type = messageClass === 4 ? "reversal" : messageClass === 2 ? "financial" : mti === 120 || mti === 121 ? "advice" : "authorization";
    let code = result.code;
    if (code !== "00" && this.faults.misrecordDeclineEvery && ++this.declinesForFault % this.faults.misrecordDeclineEvery === 0) {
      code = "05"; // answered one way, recorded another: what the reconciliation must catch
      this.faultsInjected.misrecord_decline++;
    }
    let list = this.histories.get(pan);
    if (list === undefined) this.histories.set(pan, (list = []));
    list.push({
      type,
      status: code === "00" ? "approved" : "declined",
      amount: result.released ?? view.integer(4),
      response_code: code,
      approval_code: type === "advice" ? null : result.approval,
      created_at: new Date().toISOString(),
    });
  }

  /** A card's history, newest first. */
  history(pan: string): FakeHistoryEntry[] {
    return [...(this.histories.get(pan) ?? [])].reverse();
  }

  private authorize(view: MessageView, key: string): { code: string; approval: string | null; balance: string | null; forgotten?: boolean } {
    const card = this.cards.get(view.string(2));
    const amount = view.integer(4);
    const advice = view.mti === 120 || view.mti === 121;
    const decline = (code: string) => ({ code, approval: null, balance: null });
    if (advice) {
      if (card !== undefined) {
        card.available -= amount;
        this.holds.set(key, { card, amount });
      }
      return { code: "00", approval: this.nextApproval(), balance: null };
    }
    if (card === undefined) return decline("14");
    const statusCode = { suspended: "62", lost: "41", stolen: "43", closed: "46" }[card.status];
    if (statusCode !== undefined) return decline(statusCode);
    const now = new Date();
    const yymm = (now.getUTCFullYear() % 100) * 100 + now.getUTCMonth() + 1;
    if (!view.has(14) || view.string(14) !== card.expiry || Number(card.expiry) < yymm) return decline("54");
    if (view.string(3).startsWith("31")) {
      const sign = card.available < 0 ? "D" : "C";
      return { code: "00", approval: this.nextApproval(), balance: `0002392${sign}${String(Math.abs(card.available)).padStart(12, "0")}` };
    }
    const day = Math.floor(Date.now() / 86_400_000);
    if (card.day !== day) Object.assign(card, { day, dayAmount: 0, dayCount: 0 });
    if (amount > card.limits.perTransactionMax || card.dayAmount + amount > card.limits.perDayAmountMax) return decline("61");
    if (card.dayCount + 1 > card.limits.perDayCountMax) return decline("65");
    if (amount > card.available) return decline("51");
    card.available -= amount;
    card.dayAmount += amount;
    card.dayCount += 1;
    if (view.mti === 200) {
      card.ledger -= amount;
    } else if (this.faults.forgetHoldEvery && ++this.approvedAuthorizations % this.faults.forgetHoldEvery === 0) {
      card.available += amount; // approved, yet nothing held: the bug the ledger cross-check must catch
      this.faultsInjected.forget_hold++;
    } else if (this.faults.forgetApprovalEvery && ++this.approvedAuthorizations % this.faults.forgetApprovalEvery === 0) {
      card.available += amount; // approved on the wire, and the ledger keeps no trace of it: a lost approval
      card.dayAmount -= amount;
      card.dayCount -= 1;
      this.faultsInjected.forget_approval++;
      return { code: "00", approval: this.nextApproval(), balance: null, forgotten: true };
    } else {
      this.holds.set(key, { card, amount });
    }
    return { code: "00", approval: this.nextApproval(), balance: null };
  }

  private reverse(view: MessageView): { code: string; approval: string | null; balance: string | null; released: number } {
    const original = view.string(90);
    const originalClass = Number(original.slice(0, 4)) >= 200 && Number(original.slice(0, 4)) < 300 ? "02" : "01";
    const originalKey = `${originalClass}|${String(Number(original.slice(20, 31)))}|${original.slice(4, 10)}|${original.slice(10, 20)}`;
    const hold = this.holds.get(originalKey);
    if (hold === undefined) {
      // Nothing held: an original it declined releases 0; one it never saw shows the amount asked for.
      const released = this.store.has(originalKey) ? 0 : view.integer(4);
      return { code: view.mti === 400 ? "25" : "00", approval: null, balance: null, released };
    }
    const replacement = view.has(95) ? Number(view.string(95).slice(0, 12)) : 0;
    const released = hold.amount - replacement;
    hold.card.available += released;
    hold.amount = replacement;
    if (replacement === 0) this.holds.delete(originalKey);
    return { code: "00", approval: null, balance: null, released };
  }

  private capture(view: MessageView): void {
    if (this.capturePerAcquirer === 0) return;
    const acquirer = view.string(32);
    let list = this.seen.get(acquirer);
    if (list === undefined) this.seen.set(acquirer, (list = []));
    if (list.length >= this.capturePerAcquirer) return;
    list.push({
      mti: view.mti,
      pan: view.string(2),
      processingCode: view.string(3),
      amount: view.integer(4),
      expiry: view.has(14) ? view.string(14) : null,
      replacement: view.has(95) ? view.string(95) : null,
    });
  }

  private nextApproval(): string {
    return (++this.approvals).toString(36).toUpperCase().padStart(6, "0");
  }

  private send(link: FakeLink, body: Uint8Array): void {
    link.queue.push(frameBytes(this.profile.framing, body));
  }

  private flush(link: FakeLink): void {
    while (link.queue.length > 0) {
      const total = link.queue.reduce((n, part) => n + part.length, 0);
      const joined = link.queue.length === 1 ? link.queue[0]! : Buffer.concat(link.queue, total);
      link.queue.length = 0;
      const written = link.socket.write(joined);
      if (written < joined.length) {
        link.queue.push(joined.subarray(Math.max(0, written)));
        return;
      }
    }
  }

  /** The ledger as the fake sees it, per PAN. */
  balances(pan: string): { available_balance: number; ledger_balance: number; held_amount: number } {
    const card = this.cards.get(pan)!;
    return { available_balance: card.available, ledger_balance: card.ledger, held_amount: card.ledger - card.available };
  }
}

const HEADER = originatingBase1Header({ destination: "000002", source: "000001" });
