/** Where the privileged partner API lives; access tokens for it are JWTs with this audience. */
export const PARTNER_API_PATH = '/partner/v1'
export const partnerResource = (origin: string) => `${origin}${PARTNER_API_PATH}`

export const OIDC_SCOPES = ['openid', 'profile', 'offline_access'] as const
export const PARTNER_SCOPES = [
  'recommendations.send',
  'friends.app',
  'friends.suggest',
  'activity.publish',
  'reports.submit',
] as const
export type PartnerScope = (typeof PARTNER_SCOPES)[number]

/** Scopes a person consents to; `reports.submit` belongs to the partner itself (client credentials). */
export const USER_SCOPES: readonly string[] = [
  ...OIDC_SCOPES,
  ...PARTNER_SCOPES.filter((s) => s !== 'reports.submit'),
]

/** One line of purpose per scope, as the consent screen shows it ({app} is the partner's name). */
export const SCOPE_PURPOSES: Record<string, string> = {
  openid: 'Know that you are you, through an ID that only {app} gets',
  profile: 'See your display name',
  offline_access: 'Stay connected while you are away, until you disconnect it',
  'recommendations.send':
    'Send the recommendations you choose to your friends’ Tandem inboxes, labelled “via {app}”. It can never read or delete messages',
  'friends.app': 'See which of your friends also use {app}',
  'friends.suggest':
    'Suggest {app} to friends who don’t use it, without learning who they are (only friends who allow it)',
  'activity.publish': 'Post what you watch to your Tandem profile, only while you have that turned on',
  'reports.submit': 'Deliver its reports to Tandem',
}

export const purposeOf = (scope: string, appName: string) =>
  (SCOPE_PURPOSES[scope] ?? scope).replaceAll('{app}', appName)
