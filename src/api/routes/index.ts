import type { Route } from "../route.ts";
import { createCard, getCard, updateCard } from "./cards.ts";
import { listEvents } from "./events.ts";
import { healthz, metrics, openApi, readyz } from "./operations.ts";
import { createTopUp } from "./topups.ts";
import { listTransactions } from "./transactions.ts";
import { createUser, getUser } from "./users.ts";

/** Every route the server serves and the OpenAPI document describes: one list for both. */
export const ROUTES: readonly Route[] = [
  createUser,
  getUser,
  createCard,
  getCard,
  updateCard,
  createTopUp,
  listTransactions,
  listEvents,
  healthz,
  readyz,
  metrics,
  openApi,
];
