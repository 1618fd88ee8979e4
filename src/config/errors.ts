/** Bad user input: reported as one line, exit code 2, nothing created. */
export class ConfigError extends Error {}

/** A failure while running (TAP cannot be created, port in use): one line, exit code 1. */
export class RuntimeError extends Error {}
