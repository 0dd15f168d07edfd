/**
 * Spaces regions, as DigitalOcean's Terraform provider lists them (the API does not report which
 * datacenters offer Spaces). Update this list when DigitalOcean adds a region.
 */
export const SPACES_REGIONS = {
  ams3: 'Amsterdam',
  atl1: 'Atlanta',
  blr1: 'Bangalore',
  fra1: 'Frankfurt',
  lon1: 'London',
  nyc3: 'New York',
  sfo2: 'San Francisco 2',
  sfo3: 'San Francisco 3',
  sgp1: 'Singapore',
  syd1: 'Sydney',
  tor1: 'Toronto',
} as const;

export type SpacesRegion = keyof typeof SPACES_REGIONS;

export function isSpacesRegion(value: string): value is SpacesRegion {
  return Object.hasOwn(SPACES_REGIONS, value);
}

/** The public endpoint of a region; `template` (SPACES_ENDPOINT_URL) may contain `{region}`. */
export function spacesEndpoint(region: SpacesRegion, template = 'https://{region}.digitaloceanspaces.com'): string {
  return template.replaceAll('{region}', region);
}
