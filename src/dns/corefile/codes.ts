/**
 * The catalogue of Corefile diagnostics: every code the Corefile front end (parse.ts, setup.ts,
 * plugin/<name>/setup.ts) can emit, with its title. Codes are permanent: never renumber or reuse one; add
 * new ones at the end. Severity is per issue (most codes are errors; PL4010, PL4016, PL4021 and
 * PL4022 are warnings), the title says what kind of problem it is.
 */
const CODES = {
  PL4001: 'Corefile syntax error',
  PL4002: 'unknown plugin',
  PL4003: 'plugin not supported by podlab',
  PL4004: 'invalid argument',
  PL4005: 'unknown property',
  PL4006: 'zone and port served twice',
  PL4007: 'plugin used twice in a server block',
  PL4008: 'missing argument',
  PL4009: 'unknown snippet or import',
  PL4010: 'environment variable not set',
  PL4011: 'zone outside the server block\'s zones',
  PL4012: 'file not found',
  PL4013: 'import cycle',
  PL4014: 'too many arguments',
  PL4015: 'feature not supported by podlab',
  PL4016: 'setting accepted but ignored by podlab',
  PL4017: 'invalid regular expression',
  PL4018: 'invalid duration',
  PL4019: 'invalid server address',
  PL4020: 'block not allowed here',
  PL4021: 'property set twice',
  PL4022: 'value adjusted as CoreDNS does',
  PL4023: 'snippet defined twice',
  PL4024: "path outside the DNS server's files",
} as const;

/** A code from the catalogue; issue builders take only these, so a typo is a type error. */
export type CorefileCode = keyof typeof CODES;

export const COREFILE_CODES: Record<string, string> = CODES;
