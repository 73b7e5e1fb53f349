import type { Route } from "../route.ts";
import { createCard, getCard, listCards, updateCard } from "./cards.ts";
import { listEvents } from "./events.ts";
import { healthz, metrics, openApi, readyz } from "./operations.ts";
import { createTopUp } from "./topups.ts";
import { listTransactions } from "./transactions.ts";
import { createUser, getUser, listUsers } from "./users.ts";

/** Every route the server serves and the OpenAPI document describes: one list for both. */
export const ROUTES: readonly Route[] = [
  createUser,
  listUsers,
  getUser,
  createCard,
  listCards,
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
