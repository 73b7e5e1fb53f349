/**
 * The few calls of the Processor API the simulator makes: create users, cards and top-ups before a run,
 * change a card's status, and read balances and each user's history afterwards. JSON over HTTP with a
 * bearer token; snake_case on the wire; an error body `{ error: { code, message } }` becomes an ApiError
 * naming the call, never the PAN.
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly code: string;
  readonly status: number;
  constructor(code: string, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = status;
  }
}

/** The API said the ledger is unavailable (503): worth asking again a little later. */
export function isUnavailable(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 503 || error.code === "unavailable");
}

/**
 * A read (GET) answered 503 is asked again at most this many times, after a backoff that starts at the
 * minimum and doubles up to the maximum: about 5 s in all, enough for a ledger whose connections were cut
 * to reconnect, short enough that a ledger that stays down ends the run's reads soon.
 */
export const API_READ_RETRIES_MAX = 6;
export const API_READ_BACKOFF_MS_MIN = 100;
export const API_READ_BACKOFF_MS_MAX = 2_000;

export interface ApiAccount {
  id: string;
  currency: string;
  ledger_balance: number;
  available_balance: number;
  held_amount: number;
}

export interface ApiUser {
  id: string;
  external_id: string | null;
  name: string | null;
  created_at: string;
  account: ApiAccount;
}

export interface ApiLimits {
  per_transaction_max?: number;
  per_day_amount_max?: number;
  per_day_count_max?: number;
}

export interface ApiCard {
  id: string;
  user_id: string;
  /** Only in the answer to the card's creation. */
  pan?: string;
  pan_masked: string;
  last4: string;
  expiry: string;
  status: string;
  limits: ApiLimits;
}

export interface ApiTopUp {
  id: string;
  user_id: string;
  amount: number;
  currency: string;
}

/** One entry of a user's history, as much of it as the simulator reads. */
export interface ApiTransaction {
  id: string;
  type: string;
  status: string;
  amount: number;
  response_code: string | null;
  approval_code: string | null;
  created_at: string;
}

export interface ApiTransactionPage {
  data: ApiTransaction[];
  next_cursor: string | null;
}

export interface ApiClientOptions {
  /** e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  token: string;
  /** Per call; a call that takes longer fails with code "timeout". */
  timeoutMs?: number;
  /** Retries of a read answered 503 (default API_READ_RETRIES_MAX), and the first backoff (default API_READ_BACKOFF_MS_MIN). */
  readRetriesMax?: number;
  readBackoffMsMin?: number;
}

export class ApiClient {
  private readonly baseUrl: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly readRetriesMax: number;
  private readonly readBackoffMsMin: number;
  /** Reads answered 503 and asked again. */
  readRetries = 0;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.readRetriesMax = options.readRetriesMax ?? API_READ_RETRIES_MAX;
    this.readBackoffMsMin = options.readBackoffMsMin ?? API_READ_BACKOFF_MS_MIN;
    if (!(Number.isInteger(this.readRetriesMax) && this.readRetriesMax >= 0 && this.readRetriesMax <= API_READ_RETRIES_MAX)) {
      throw new RangeError(`readRetriesMax must be an integer in [0, ${API_READ_RETRIES_MAX}]`);
    }
    if (!(this.readBackoffMsMin >= 0 && this.readBackoffMsMin <= API_READ_BACKOFF_MS_MAX)) {
      throw new RangeError(`readBackoffMsMin must be in [0, ${API_READ_BACKOFF_MS_MAX}]`);
    }
  }

  createUser(body: { external_id?: string; name?: string }): Promise<ApiUser> {
    return this.call("POST", "/v1/users", body, 201);
  }

  getUser(userId: string): Promise<ApiUser> {
    return this.read(`/v1/users/${encodeURIComponent(userId)}`);
  }

  createCard(userId: string, body: { expiry?: string; limits?: ApiLimits }): Promise<ApiCard> {
    return this.call("POST", `/v1/users/${encodeURIComponent(userId)}/cards`, body, 201);
  }

  updateCard(cardId: string, body: { status?: string; limits?: ApiLimits }): Promise<ApiCard> {
    return this.call("PATCH", `/v1/cards/${encodeURIComponent(cardId)}`, body, 200);
  }

  topUp(userId: string, amount: number, idempotencyKey: string): Promise<ApiTopUp> {
    return this.call("POST", `/v1/users/${encodeURIComponent(userId)}/topups`, { amount }, 201, {
      "Idempotency-Key": idempotencyKey,
    });
  }

  listTransactions(userId: string, page: { limit: number; cursor: string | null }): Promise<ApiTransactionPage> {
    const query = `?limit=${page.limit}${page.cursor === null ? "" : `&cursor=${encodeURIComponent(page.cursor)}`}`;
    return this.read(`/v1/users/${encodeURIComponent(userId)}/transactions${query}`);
  }

  /** A GET, asked again after a backoff while the API answers 503; the last error when it never stops. */
  private async read<T>(path: string): Promise<T> {
    let backoffMs = this.readBackoffMsMin;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.call<T>("GET", path, undefined, 200);
      } catch (error) {
        if (!isUnavailable(error) || attempt >= this.readRetriesMax) throw error;
      }
      this.readRetries++;
      await Bun.sleep(backoffMs);
      backoffMs = Math.min(backoffMs * 2, API_READ_BACKOFF_MS_MAX);
    }
  }

  private async call<T>(method: string, path: string, body: unknown, expectStatus: number, headers = {}): Promise<T> {
    const what = `${method} ${path}`;
    let response: Response;
    try {
      response = await fetch(this.baseUrl + path, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === "TimeoutError";
      throw new ApiError(timedOut ? "timeout" : "unreachable", 0, `${what}: ${timedOut ? "timed out" : "cannot reach the API"}`, {
        cause: error,
      });
    }
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text === "" ? null : JSON.parse(text);
    } catch {
      throw new ApiError("invalid_json", response.status, `${what}: answer is not JSON (HTTP ${response.status})`);
    }
    if (response.status !== expectStatus) {
      const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      const code = typeof error?.code === "string" ? error.code : `http_${response.status}`;
      const message = typeof error?.message === "string" ? error.message : `HTTP ${response.status}`;
      throw new ApiError(code, response.status, `${what}: ${code}: ${message}`);
    }
    return json as T;
  }
}
