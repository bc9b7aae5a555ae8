// Numeric settings from wrangler.toml [vars]: a value that is missing, not an integer or out of
// range falls back to the default, so a typo leaves the service at its documented behaviour
// instead of stopping the objects that read it.

export function intSetting(value: string | undefined, fallback: number, min: number, max: number): number {
  const n = Number(value);
  return value !== undefined && value.trim() !== "" && Number.isInteger(n) && n >= min && n <= max ? n : fallback;
}
