import type { ProfileName } from "../../src/iso8583/profiles/index.ts";
import type { SimReport } from "../../src/sim/report.ts";
import { startSimulation, type SimOptions } from "../../src/sim/run.ts";
import { FakeProcessor, type FakeFaults } from "./fake-processor.ts";
import { fakeLedgerCheck, testCards } from "./sim-cards.ts";

export interface HarnessOptions {
  profile?: ProfileName;
  cardCount?: number;
  cardSeed?: number;
  links?: number;
  faults?: FakeFaults;
  capturePerAcquirer?: number;
  sim?: Partial<SimOptions>;
}

/** One short run of the simulator in-process against the fake processor (loopback, ephemeral port). */
export async function runAgainstFake(options: HarnessOptions = {}): Promise<{ report: SimReport; processor: FakeProcessor }> {
  const profile = options.profile ?? "iso87-ascii";
  const links = options.links ?? 1;
  const { seeds, fake } = testCards(options.cardCount ?? 200, options.cardSeed ?? 7);
  const processor = new FakeProcessor({
    profile,
    cards: fake,
    faults: options.faults,
    capturePerAcquirer: options.capturePerAcquirer,
  });
  const handle = startSimulation({
    port: 0,
    profile,
    links,
    cards: seeds,
    durationSeconds: 0.6,
    windowMax: 8,
    seed: 42,
    waitLinksMs: 5_000,
    ledgerCheck: fakeLedgerCheck(processor),
    historyReader: async ({ pan }) => processor.history(pan),
    ...options.sim,
  });
  try {
    const { port } = await handle.listening;
    await processor.connect(port, links);
    return { report: await handle.report, processor };
  } finally {
    processor.close();
  }
}
