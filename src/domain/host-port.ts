/**
 * A network address as configured and given on the command line: `HOST:PORT`, the host a name, an IPv4
 * address, or an IPv6 address in brackets (`[::1]:8080`).
 */
export const HOST_PORT_PATTERN = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
export const PORT_MAX = 65_535;

/** The host (brackets kept) and port of a HOST:PORT, or null when it is none or the port is over PORT_MAX. */
export function splitHostPort(address: string): { readonly host: string; readonly port: number } | null {
  const match = HOST_PORT_PATTERN.exec(address);
  if (match === null) return null;
  const port = Number(match[2]);
  return port > PORT_MAX ? null : { host: match[1]!, port };
}
