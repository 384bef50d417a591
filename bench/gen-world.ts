/**
 * The cast of the generated logs: tenants, their machines and repos, and the per-machine
 * quirks real fleets have (an old client without `ok`, a machine that writes milliseconds,
 * one that writes a local UTC offset). Fixed names, so logs stay readable and diffable.
 */
export type TsStyle = 'seconds' | 'millis' | 'offset';

export interface Machine {
  readonly name: string;
  readonly tenant: Tenant;
  readonly repos: readonly Repo[];
  readonly tsStyle: TsStyle;
  /** Old client: omits `ok` and `files_total`, writes `"error":""` on success. */
  readonly legacy: boolean;
}

export interface Repo {
  readonly name: string;
  readonly scopes: readonly string[];
}

export interface Tenant {
  /** The tenant id; the first tenant is `default` and its rows usually omit `tenant_id`. */
  readonly id: string;
  readonly weight: number;
  readonly machines: Machine[];
}

interface TenantSpec {
  id: string;
  weight: number;
  repos: Array<[name: string, scopes: string[]]>;
  machines: Array<[name: string, quirk?: 'millis' | 'offset' | 'legacy']>;
}

const STATE = ['state'];
const STATE_CONFIG = ['state', 'config'];

/** Six tenants; `--tenants N` keeps the first N. "dotfiles" is deliberately shared by two. */
const TENANTS: TenantSpec[] = [
  {
    id: 'default', weight: 0.3,
    repos: [['snappy-os', STATE_CONFIG], ['dotfiles', STATE_CONFIG], ['notes', STATE]],
    machines: [['mbpro-rb'], ['studio-rb', 'millis'], ['nuc-home', 'legacy']],
  },
  {
    id: 'acme', weight: 0.25,
    repos: [['acme-web', STATE_CONFIG], ['acme-infra', STATE], ['dotfiles', STATE]],
    machines: [['acme-ci-01'], ['acme-ci-02'], ['acme-dev-ana'], ['acme-dev-jo']],
  },
  {
    id: 'globex', weight: 0.15,
    repos: [['gx-models', STATE], ['gx-pipeline', STATE_CONFIG]],
    machines: [['gx-laptop-mk'], ['gx-build-1'], ['gx-build-2']],
  },
  {
    id: 'initech', weight: 0.12,
    repos: [['tps-reports', STATE], ['it-wiki', STATE], ['it-scripts', STATE_CONFIG]],
    machines: [['it-tps-01'], ['it-dev-peter', 'offset'], ['it-dev-sam']],
  },
  {
    id: 'hooli', weight: 0.12,
    repos: [['nucleus', STATE_CONFIG], ['middle-out', STATE]],
    machines: [['hooli-nuc-a'], ['hooli-nuc-b'], ['hooli-mbp-gav']],
  },
  {
    id: 'umbrella', weight: 0.06,
    repos: [['umb-research', STATE]],
    machines: [['umb-lab-3', 'legacy'], ['umb-lab-7']],
  },
];

export const MAX_TENANTS = TENANTS.length;

/**
 * Builds the first `count` tenants. Each machine works on every repo of its tenant except that
 * CI runners skip the personal "dotfiles" repo (so machines differ a little).
 */
export function buildWorld(count: number): Tenant[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_TENANTS) {
    throw new Error(`tenants must be an integer from 1 to ${MAX_TENANTS}, got ${count}`);
  }
  return TENANTS.slice(0, count).map((spec) => {
    const repos: Repo[] = spec.repos.map(([name, scopes]) => ({ name, scopes }));
    const tenant: Tenant = { id: spec.id, weight: spec.weight, machines: [] };
    for (const [name, quirk] of spec.machines) {
      const isCi = name.includes('-ci-') || name.includes('-build-');
      tenant.machines.push({
        name,
        tenant,
        repos: isCi ? repos.filter((r) => r.name !== 'dotfiles') : repos,
        tsStyle: quirk === 'millis' || quirk === 'offset' ? quirk : 'seconds',
        legacy: quirk === 'legacy',
      });
    }
    return tenant;
  });
}

/**
 * A fleet of exactly `machines` machines over the first `tenants` tenants (one log file per
 * machine): the tenants' machines taken in turn (each tenant's first machine, then each one's
 * second, …), then numbered copies of them in the same turn (`mbpro-rb-2`, `acme-ci-01-2`, …)
 * with the same tenant, repos and quirks. Tenants left without a machine are dropped.
 */
export function buildFleet(tenants: number, machines: number): Tenant[] {
  if (!Number.isSafeInteger(machines) || machines < 1) throw new Error(`fleet must be a positive integer, got ${machines}`);
  const world = buildWorld(tenants);
  const inTurn: Machine[] = [];
  const most = Math.max(...world.map((t) => t.machines.length));
  for (let i = 0; i < most; i++) {
    for (const t of world) {
      const m = t.machines[i];
      if (m !== undefined) inTurn.push(m);
    }
  }
  const chosen: Machine[] = [];
  for (let k = 0; k < machines; k++) {
    const m = inTurn[k % inTurn.length] as Machine;
    const copy = Math.floor(k / inTurn.length);
    chosen.push(copy === 0 ? m : { ...m, name: `${m.name}-${copy + 1}` });
  }
  const names = new Set(chosen.map((m) => m.name));
  if (names.size !== chosen.length) throw new Error('fleet machine names collide'); // a new TENANTS name ending in -N could
  for (const t of world) t.machines.splice(0, t.machines.length, ...chosen.filter((m) => m.tenant === t));
  return world.filter((t) => t.machines.length > 0);
}
