// Certificate profiles: how long a leaf certificate lives. Short-lived is the default, so a
// certificate that leaks stops working within a day even if nobody checks revocation.

export interface Profile {
  name: string;
  validitySeconds: number;
  description: string;
}

const HOUR = 3600;

export const PROFILES: Record<string, Profile> = {
  shortlived: { name: "shortlived", validitySeconds: 24 * HOUR, description: "24 hours" },
  week: { name: "week", validitySeconds: 7 * 24 * HOUR, description: "7 days" },
  classic: { name: "classic", validitySeconds: 90 * 24 * HOUR, description: "90 days" },
};

export const DEFAULT_PROFILE = "shortlived";

/**
 * Certificates are backdated this much so that clients with slightly slow clocks accept them at
 * once; the validity period is counted from the backdated notBefore.
 */
export const BACKDATE_SECONDS = 60;

export function profileByName(name: string | undefined): Profile | null {
  return PROFILES[name ?? DEFAULT_PROFILE] ?? null;
}
