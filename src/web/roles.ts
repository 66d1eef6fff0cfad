import { ApiError } from './api-error.js';
import type { Role } from './tokens.js';

/** What a person can ask of the server; each needs one role (`admin` may do everything). */
export const ACTION_ROLES = {
  submit: 'packager',
  cancel: 'packager',
  recheck: 'packager',
  /** Rechecking a phase2, promote or images run starts that pipeline again: a release manager's call. */
  'recheck-pipeline': 'release',
  'start-phase2': 'release',
  'start-promote': 'release',
  /** promote.approval: required (docs/promote.md, "Gates before production"). */
  'approve-promote': 'release',
  'disable-target': 'release',
  'enable-target': 'release',
  'must-provision': 'release',
  /** `POST /api/production/rollback`: production and its mirrors back to a kept tree. */
  rollback: 'release',
  /** Waiving a failed result of an update, or revoking a waiver (docs/lifecycle.md, "Waivers"). */
  waive: 'release',
  reload: 'admin',
} as const satisfies Record<string, Role>;
export type Action = keyof typeof ACTION_ROLES;

/** The action of starting each pipeline the API and the dashboard start. */
export const START_ACTIONS = { phase2: 'start-phase2', promote: 'start-promote' } as const satisfies Record<string, Action>;

/** How a person was recognised: an API token, a dashboard session, or a trusted proxy's header. */
export type IdentityVia = 'token' | 'session' | 'header';

export interface Identity {
  readonly person: string;
  readonly roles: readonly Role[];
  readonly via: IdentityVia;
}

/** The words a refusal uses: "promote" rather than start-promote. */
const SAYS: Record<Action, string> = {
  submit: 'submitting an update', cancel: 'cancelling a run', recheck: 'a recheck', 'recheck-pipeline': 'rechecking a phase2, promote or images run',
  'start-phase2': 'phase2', 'start-promote': 'promote', 'approve-promote': 'approving a promote', 'disable-target': 'disabling a target', 'enable-target': 'enabling a target',
  'must-provision': 'changing the must-provision list', rollback: 'rolling production back', waive: 'waiving a failure', reload: 'reloading the configuration',
};

export function mayDo(who: Identity | undefined, action: Action): boolean {
  return who !== undefined && (who.roles.includes('admin') || who.roles.includes(ACTION_ROLES[action]));
}

/** Throws 403 `E_ROLE_REQUIRED` naming the role needed and the roles the person has. */
export function requireRole(who: Identity, action: Action): void {
  if (mayDo(who, action)) return;
  const has = who.roles.length === 0 ? 'no role' : who.roles.join(', ');
  throw new ApiError('E_ROLE_REQUIRED', `${SAYS[action]} needs the ${ACTION_ROLES[action]} role; ${who.via === 'header' ? 'the proxy\'s user' : 'token of'} ${who.person} has ${has}`);
}
