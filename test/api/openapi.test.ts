import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ROUTES } from "../../src/api/routes/index.ts";
import * as schemas from "../../src/api/schemas.ts";
import { startApi, userWithCard, type ApiHarness } from "../support/api-harness.ts";
import { authorization } from "../support/authorizations.ts";

let api: ApiHarness;
let document: any;
beforeAll(async () => {
  api = await startApi();
  const response = await api.request("GET", "/openapi.json", { token: null });
  expect(response.status).toBe(200);
  document = response.json;
});
afterAll(async () => {
  await api.stop();
});

/** The contract of docs/api.md, written out here so that a route dropped from the code fails this test. */
const CONTRACT: Array<[string, string]> = [
  ["post", "/v1/users"],
  ["get", "/v1/users"],
  ["get", "/v1/users/{id}"],
  ["post", "/v1/users/{id}/cards"],
  ["get", "/v1/users/{id}/cards"],
  ["get", "/v1/cards/{id}"],
  ["patch", "/v1/cards/{id}"],
  ["post", "/v1/users/{id}/topups"],
  ["get", "/v1/users/{id}/transactions"],
  ["get", "/v1/events"],
  ["get", "/openapi.json"],
  ["get", "/healthz"],
  ["get", "/readyz"],
  ["get", "/metrics"],
];
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

function resolve(ref: string): unknown {
  expect(ref.startsWith("#/")).toBe(true);
  return ref
    .slice(2)
    .split("/")
    .reduce<any>((node, part) => (node === undefined ? undefined : node[part.replace(/~1/g, "/").replace(/~0/g, "~")]), document);
}

function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) collectRefs(item, out);
  else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") out.push(value);
      else collectRefs(value, out);
    }
  }
  return out;
}

describe("OpenAPI document", () => {
  test("has the OpenAPI 3.1 top-level shape", () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    expect(typeof document.info.title).toBe("string");
    expect(typeof document.info.version).toBe("string");
    expect(typeof document.paths).toBe("object");
    expect(document.components.securitySchemes.bearer).toEqual(expect.objectContaining({ type: "http", scheme: "bearer" }));
    for (const path of Object.keys(document.paths)) expect(path.startsWith("/")).toBe(true);
  });

  test("covers every route of the contract and every route the server has, and nothing else", () => {
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item as object)
        .filter((key) => METHODS.includes(key))
        .map((method) => `${method} ${path}`),
    );
    expect(documented.sort()).toEqual(CONTRACT.map(([method, path]) => `${method} ${path}`).sort());
    expect(ROUTES.length).toBe(CONTRACT.length);
  });

  test("every operation is well-formed: unique id, responses, declared path parameters, security where needed", () => {
    const ids = new Set<string>();
    for (const [path, item] of Object.entries<any>(document.paths)) {
      for (const [method, operation] of Object.entries<any>(item)) {
        expect(typeof operation.operationId).toBe("string");
        expect(ids.has(operation.operationId)).toBe(false);
        ids.add(operation.operationId);
        expect(Object.keys(operation.responses).length).toBeGreaterThan(0);
        for (const [status, response] of Object.entries<any>(operation.responses)) {
          expect(status).toMatch(/^([1-5]\d\d|default)$/);
          expect(typeof response.description).toBe("string");
        }
        const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
        const declared = (operation.parameters ?? []).filter((p: any) => p.in === "path");
        expect(declared.map((p: any) => p.name).sort()).toEqual(templated);
        for (const parameter of operation.parameters ?? []) {
          expect(["path", "query", "header", "cookie"]).toContain(parameter.in);
          expect(typeof parameter.schema).toBe("object");
          if (parameter.in === "path") expect(parameter.required).toBe(true);
        }
        if (path.startsWith("/v1/")) {
          expect(operation.security).toEqual([{ bearer: [] }]);
          expect(operation.responses["401"]).toBeDefined();
        }
        if (["post", "patch"].includes(method) && path.startsWith("/v1/")) {
          expect(operation.requestBody.content["application/json"].schema.$ref).toMatch(/^#\/components\/schemas\//);
          expect(operation.responses["422"]).toBeDefined();
        }
      }
    }
  });

  test("every $ref resolves, and components are JSON Schema objects without a per-schema dialect", () => {
    const refs = collectRefs(document);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(resolve(ref)).toBeDefined();
    for (const [name, schema] of Object.entries<any>(document.components.schemas)) {
      expect(name).toMatch(/^[A-Za-z0-9._-]+$/);
      expect(schema.$schema).toBeUndefined();
      expect(typeof schema.type === "string" || Array.isArray(schema.anyOf) || Array.isArray(schema.allOf)).toBe(true);
    }
  });

  test("it describes what the server says: documented constraints match the code", () => {
    const topups = document.paths["/v1/users/{id}/topups"].post;
    expect(topups.parameters.find((p: any) => p.name === "Idempotency-Key")?.required).toBe(true);
    expect(Object.keys(topups.responses)).toEqual(expect.arrayContaining(["200", "201", "409"]));
    const page = document.paths["/v1/users/{id}/transactions"].get.parameters.find((p: any) => p.name === "limit");
    expect(page.schema).toMatchObject({ minimum: 1, maximum: 200, default: 50 });
    const card = document.components.schemas.Card;
    expect(card.properties.pan).toBeUndefined();
    expect(document.components.schemas.CreatedCard.required).toContain("pan");
    expect(document.components.schemas.TopUpRequest.properties.amount).toMatchObject({ type: "integer", minimum: 1 });
  });

  test("every request body and every response has an example, valid against its own schema", () => {
    let examples = 0;
    for (const [path, item] of Object.entries<any>(document.paths)) {
      for (const operation of Object.values<any>(item)) {
        const route = ROUTES.find((r) => r.operationId === operation.operationId)!;
        const where = `${operation.operationId} (${path})`;
        if (route.body !== undefined) {
          const example = operation.requestBody?.content?.["application/json"]?.example;
          expect({ where, example: example !== undefined }).toEqual({ where, example: true });
          expect({ where, valid: route.body.safeParse(example).success }).toEqual({ where, valid: true });
          examples += 1;
        }
        for (const [status, response] of Object.entries<any>(operation.responses)) {
          const [contentType, content] = Object.entries<any>(response.content)[0]!;
          expect({ where, status, example: content.example !== undefined }).toEqual({ where, status, example: true });
          // A route's own response, or an error every route can give (the Error schema).
          const schema = route.responses[Number(status)]?.schema ?? (content.schema.$ref === "#/components/schemas/Error" ? schemas.ErrorResponse : undefined);
          if (schema !== undefined) {
            const result = schema.safeParse(content.example);
            expect({ where, status, valid: result.success, issues: result.error?.issues ?? [] }).toEqual({ where, status, valid: true, issues: [] });
          } else if (contentType.startsWith("text/")) {
            expect(typeof content.example).toBe("string");
          } else {
            expect(typeof content.example).toBe("object");
          }
          examples += 1;
        }
      }
    }
    expect(examples).toBeGreaterThan(ROUTES.length * 2);
    // An error's example shows the code its description names.
    for (const item of Object.values<any>(document.paths)) {
      for (const operation of Object.values<any>(item)) {
        for (const [status, response] of Object.entries<any>(operation.responses)) {
          if (Number(status) < 400 || operation.operationId === "readyz") continue;
          const example = response.content["application/json"].example;
          expect(response.description).toContain(example.error.code);
        }
      }
    }
  });

  test("every named schema's example is valid against it, and the document shows it", () => {
    for (const [name, schema] of Object.entries(schemas)) {
      if (typeof schema !== "object" || schema === null || !("safeParse" in schema)) continue;
      const id = schemas.api.get(schema as never)?.id;
      if (id === undefined) continue;
      const example = schemas.exampleOf(schema as never);
      expect({ name, example: example !== undefined }).toEqual({ name, example: true });
      const result = (schema as { safeParse(value: unknown): { success: boolean } }).safeParse(example);
      expect({ name, valid: result.success }).toEqual({ name, valid: true });
      expect(document.components.schemas[id].examples).toEqual([JSON.parse(JSON.stringify(example))]);
    }
  });

  test("real responses parse with the schemas the document was built from", async () => {
    const { userId, cardId, pan } = await userWithCard(api, 1000);
    await api.store.ledger.authorizeBatch([authorization(pan, { amount: 300 })]);
    const check = async (schema: { parse(value: unknown): unknown }, method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
      const response = await api.request(method, path, { body, headers });
      expect(response.status).toBeLessThan(300);
      schema.parse(response.json);
    };
    await check(schemas.User, "GET", `/v1/users/${userId}`);
    await check(schemas.UserPage, "GET", "/v1/users");
    await check(schemas.CardPage, "GET", `/v1/users/${userId}/cards`);
    await check(schemas.CreatedCard, "POST", `/v1/users/${userId}/cards`, {});
    await check(schemas.Card, "GET", `/v1/cards/${cardId}`);
    await check(schemas.Card, "PATCH", `/v1/cards/${cardId}`, { status: "suspended" });
    await check(schemas.TopUp, "POST", `/v1/users/${userId}/topups`, { amount: 5 }, { "Idempotency-Key": "schema-check" });
    await check(schemas.TransactionPage, "GET", `/v1/users/${userId}/transactions`);
    await check(schemas.EventPage, "GET", "/v1/events");
    await check(schemas.Readiness, "GET", "/readyz");
    await check(schemas.Health, "GET", "/healthz");
    schemas.ErrorResponse.parse((await api.request("GET", "/v1/users/usr_missing")).json);
  });
});
