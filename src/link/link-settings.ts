/**
 * The settings every link and each of its sessions share, set once at start-up (`sekisho run` builds them
 * from its configuration, keys of the "links" group) and handed down whole: processor → link → session.
 * Where a name differs from its configuration key, the key is given.
 */
export interface LinkSettings {
  /** Largest frame accepted or sent, bytes; a longer one loses the framing. */
  readonly frameBytesMax: number;
  /** From a frame's first byte to its last; past it the framing is lost and the link re-dialled. */
  readonly frameAssemblyTimeoutMs: number;
  /** Responses a session's writer may hold while the socket is not accepting, bytes. */
  readonly writeBufferBytesMax: number;
  /** Unsent response bytes at which a session stops reading … (linkPendingBytesHighWater) */
  readonly pendingBytesHighWater: number;
  /** … and at or below which it reads again (linkPendingBytesLowWater). */
  readonly pendingBytesLowWater: number;
  /** One connect attempt's bound. */
  readonly connectTimeoutMs: number;
  /** Wait for the 0810 to our sign-on. */
  readonly signOnTimeoutMs: number;
  /** Idle time on a signed-on link before we send an echo test. */
  readonly echoIdleMs: number;
  /** Wait for the 0810 to an echo; none in time closes and re-dials the link. */
  readonly echoTimeoutMs: number;
  /** First re-dial delay (then doubled, with jitter) … */
  readonly reconnectDelayMinMs: number;
  /** … up to this. */
  readonly reconnectDelayMaxMs: number;
  /**
   * The stations in the BASE I header of the 0800s we originate (base1DestinationStation,
   * base1SourceStation); used only by a profile with a header (visa-base1).
   */
  readonly base1Stations: { readonly destination: string; readonly source: string };
}
