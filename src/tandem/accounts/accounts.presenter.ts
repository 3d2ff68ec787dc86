import type { User } from '../db.ts'

export interface PublicUser {
  id: string
  username: string
  displayName: string
}

export const presentUser = (user: Pick<User, 'id' | 'username' | 'display_name'>): PublicUser => ({
  id: user.id,
  username: user.username,
  displayName: user.display_name,
})

export const presentMe = (user: User) => ({
  ...presentUser(user),
  isAdmin: user.is_admin,
  allowSuggestions: user.allow_suggestions,
  partnerActivityEnabled: user.partner_activity_enabled,
  createdAt: user.created_at.toISOString(),
})
