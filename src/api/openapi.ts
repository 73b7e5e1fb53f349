import { z } from "zod";
import type { Route } from "./route.ts";
import { api, ErrorResponse, exampleOf } from "./schemas.ts";

/**
 * The OpenAPI 3.1 document, generated from the route list and the zod schemas with zod's own JSON Schema
 * output (draft 2020-12, OpenAPI 3.1's dialect). Named schemas become components; params, query and
 * headers are expanded into parameters. Errors every route can give are added here, from what the route
 * declares it takes (a token, a path id, a body), so they stay true to the server's pipeline.
 */
type JsonSchema = Record<string, unknown>;

const COMPONENT_PREFIX = "#/components/schemas/";

function componentSchemas(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(api, {
    target: "draft-2020-12",
    io: "input",
    metadata: api,
    uri: (id) => COMPONENT_PREFIX + id,
  }) as { schemas: Record<string, JsonSchema> };
  for (const schema of Object.values(schemas)) {
    delete schema.$schema;
    delete schema.$id;
  }
  return schemas;
}

function inline(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { target: "draft-2020-12", io: "input", metadata: api }) as JsonSchema;
  delete json.$schema;
  return json;
}

/** A body or response schema must be a named component (optionally wrapped in `.optional()`), with an example. */
function componentRef(schema: z.ZodType, where: string): { ref: JsonSchema; optional: boolean; example: unknown } {
  const optional = schema instanceof z.ZodOptional;
  const inner = optional ? (schema as z.ZodOptional<z.ZodType>).unwrap() : schema;
  const id = api.get(inner)?.id;
  if (id === undefined) throw new Error(`${where}: body and response schemas must be named components`);
  const example = exampleOf(inner);
  if (example === undefined) throw new Error(`${where}: component ${id} has no example`);
  return { ref: { $ref: COMPONENT_PREFIX + id }, optional, example };
}

function parameters(route: Route): JsonSchema[] {
  const out: JsonSchema[] = [];
  const expand = (schema: z.ZodType | undefined, location: "path" | "query") => {
    if (schema === undefined) return;
    const json = inline(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      const { description, ...rest } = property;
      out.push({
        name,
        in: location,
        required: location === "path" || (json.required ?? []).includes(name),
        ...(description !== undefined ? { description } : {}),
        schema: rest,
      });
    }
  };
  expand(route.params, "path");
  expand(route.query, "query");
  for (const header of route.headers ?? []) {
    out.push({ name: header.name, in: "header", required: header.required, description: header.description, schema: inline(header.schema) });
  }
  return out;
}

function errorResponse(description: string, code: string, message: string): JsonSchema {
  const example = { error: { code, message } };
  return { description, content: { "application/json": { schema: componentRef(ErrorResponse, "Error").ref, example } } };
}

function responses(route: Route): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    const contentType = response.contentType ?? "application/json";
    const component = response.schema === undefined ? null : componentRef(response.schema, `${route.operationId} ${status}`);
    const example = response.example ?? component?.example;
    if (example === undefined) throw new Error(`${route.operationId} ${status}: a response without a schema gives its own example`);
    out[status] = {
      description: response.description,
      content: { [contentType]: { schema: component?.ref ?? {}, example } },
      ...(response.headers
        ? { headers: Object.fromEntries(Object.entries(response.headers).map(([name, d]) => [name, { description: d, schema: { type: "string" } }])) }
        : {}),
    };
  }
  // Each with the description and an example of what the server answers.
  const implied: Array<[boolean, string, string, string, string]> = [
    [route.query !== undefined || (route.headers?.length ?? 0) > 0 || route.body !== undefined, "400", "invalid_json or invalid_request",
      "invalid_request", "limit: too big: expected number to be <=200"],
    [route.auth, "401", "unauthorized: missing or wrong bearer token", "unauthorized", "missing or wrong bearer token"],
    [route.params !== undefined, "404", "not_found", "not_found", "user not found"],
    [route.body !== undefined, "413", "body_too_large", "body_too_large", "the body is larger than 65536 bytes"],
    [route.body !== undefined, "422", "validation_failed: the message names the field", "validation_failed", "amount: too small: expected number to be >=1"],
    [route.auth, "503", "unavailable: the ledger cannot be reached", "unavailable", "the ledger cannot be reached"],
  ];
  for (const [applies, status, description, code, message] of implied) {
    if (applies && out[status] === undefined) out[status] = errorResponse(description, code, message);
  }
  return out;
}

function operation(route: Route): JsonSchema {
  const op: JsonSchema = {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description !== undefined ? { description: route.description } : {}),
    tags: [route.tag],
    security: route.auth ? [{ bearer: [] }] : [],
    parameters: parameters(route),
    responses: responses(route),
  };
  if (route.body !== undefined) {
    const { ref, optional, example } = componentRef(route.body, `${route.operationId} body`);
    op.requestBody = { required: !optional, content: { "application/json": { schema: ref, example } } };
  }
  return op;
}

export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, "{$1}");
}

export function buildOpenApiDocument(routes: readonly Route[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const item = (paths[openApiPath(route.path)] ??= {});
    item[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Sekisho Processor API",
      version,
      description:
        "Users, cards, top-ups and history of a prepaid card program. JSON in snake_case; money as integer " +
        "minor units of the account currency; errors as { error: { code, message } }.",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    tags: [...new Set(routes.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "SEKISHO_API_TOKEN" } },
    },
  };
}
