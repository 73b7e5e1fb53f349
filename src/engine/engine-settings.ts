/**
 * The engine's own settings, set once at start-up (`sekisho run` builds them from its configuration, keys
 * of the "engine" group) and handed to the processor whole. The links' settings are src/link's.
 */
export interface EngineSettings {
  /** Requests queued between the links and the authorization tasks (a power of two). */
  readonly ringCapacity: number;
  /** Ring fill (%) at which every link stops reading … */
  readonly ringHighWaterPercent: number;
  /** … and at which reading resumes. */
  readonly ringLowWaterPercent: number;
  /** Authorization tasks, started once. */
  readonly authTasks: number;
  /** Requests one task decides in one ledger transaction. */
  readonly batchSizeMax: number;
  /** A request not started within this of arriving is answered 91 with no ledger effect. */
  readonly requestDeadlineMs: number;
  /** Shutdown: bound on draining, flushing and signing off. */
  readonly drainDeadlineMs: number;
  /** Shutdown: wait for the 0810 to each link's sign-off. */
  readonly signOffTimeoutMs: number;
  /** Shutdown: time between half-closing a socket and closing it. */
  readonly closeGraceMs: number;
}
